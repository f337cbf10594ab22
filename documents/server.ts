import '../shared/no-telemetry';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { beijingToday } from '../shared/beijing-calendar';
import express from 'express';
import { request } from 'undici';
import { keepIdleConnectionsOpen } from '../shared/http-server';
import { createLogger } from '../shared/logger';
import { normaliseCode } from '../shared/permit-code';
import { renderCertificateHtml, renderCertificatePdf } from './certificate';
import { certificateData } from './certificate-data';
import { documentsConfig } from './config';
import { askGateway, permitServiceDown } from './gateway-client';
import { renderGuidePage, type GuideLanguage } from './guide-page';
import { renderManualPage, type ManualLanguage } from './manual-page';
import { CASE_QUERY, CERTIFICATE_QUERY, COMPLAINT_MUTATION, DASHBOARD_QUERIES, GUIDE_QUERY, WORK_TEAM_QUERY, MANUAL_QUERY, PERMIT_KEYS_QUERY, QR_IMAGES_QUERY, SCAN_QUERY, VERIFY_QUERY } from './queries';
import { renderComplaintAnswer, renderForgedPage, renderNotFoundPage, renderScanPage, renderUnavailablePage, type ScannedPermit } from './scan-page';
import type { CertificateQuery, ComplianceManualQuery, PermitKeysQuery, PrintableGuideQuery, QrImagesQuery, ScanPageComplaintMutation, IndustryCaseQuery, ScanQuery, VerifyQuery, WorkTeamPageQuery } from './__generated__/operations';
import { caseCsv, caseRows, renderCasePage } from './case-page';
import { renderWorkTeamPage } from './work-team-page';
import { loadSeal, sealPdf, verifySealedPdf } from './seal';
import { renderDashboardPage } from './dashboard-page';

/** Chart.js's browser build, served as is from the installed package. */
const CHART_JS = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');

/**
 * The documents service: what people open, print and scan, made from the
 * platform's GraphQL API through the gateway like any client's. A permit is
 * addressed by its code everywhere (the code its QR carries):
 *
 *   /scan/<code>[?t&i&g&k&s]           the public scan page (a signed QR is checked)
 *   POST /scan/<code>/complaints        its complaint form (public)
 *   /permits/<code>/qr.svg | qr.png     the QR image (public)
 *   /permits/<code>/certificate.html | certificate.pdf   the printed certificate
 *                                       (the holder's or the bureau's token, passed on; the PDF sealed)
 *   POST /certificates/verify           is this PDF one the bureau sealed, unaltered? (public)
 *   /guides/<industry>?lang&answers     the printable one-time guide (public)
 *   /manuals/<industry>?lang            the printable compliance manual, 一业一册 (public)
 *   /work-team                          the work team's roster, 附件1 (staff: the caller's token, passed on)
 *   /dashboard, /dashboard/data         the bureau's dashboard; its data asked with the viewer's token
 *   /cases/<industry>[?format=csv]      a case (落地案例): before and after, real processing data (admins, analysts)
 *   /.well-known/permit-keys.json       the keys that sign QR codes (public)
 *   /healthz, /readyz                   for operators
 */
export interface RunningDocuments {
  url: string;
  close: () => Promise<void>;
}

export async function startDocuments(port: number): Promise<RunningDocuments> {
  const config = documentsConfig();
  const log = createLogger('documents');
  const seal = loadSeal({ p12Base64: config.SEAL_P12_BASE64, passphrase: config.SEAL_P12_PASSPHRASE, devFile: config.SEAL_DEV_FILE });
  if (seal.development) log.warn({ file: config.SEAL_DEV_FILE }, 'certificates are sealed with a development certificate: set SEAL_P12_BASE64 for the bureau’s own');
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'documents' });
  });
  // Ready when the gateway, which every page is made from, answers.
  app.get('/readyz', async (_req, res) => {
    try {
      const r = await request(`${config.GATEWAY_URL.replace(/\/$/, '')}/healthz`, { headersTimeout: 2000, bodyTimeout: 2000 });
      await r.body.text();
      res.status(r.statusCode === 200 ? 200 : 503).json({ status: r.statusCode === 200 ? 'ready' : 'degraded', gateway: r.statusCode });
    } catch (error) {
      res.status(503).json({ status: 'degraded', gateway: `unreachable: ${(error as Error).message}` });
    }
  });

  app.get('/scan/:code', async (req, res) => {
    // A scanned QR carries its signature: check it. A code typed in by hand is only looked up.
    if (typeof req.query.s === 'string') {
      const answer = await askGateway<VerifyQuery>(VERIFY_QUERY, { qrContent: `http://scan.local${req.originalUrl}` });
      const verification = answer.data?.verifyPermit;
      if (permitServiceDown(answer, Boolean(verification))) return void res.status(503).type('html').send(renderUnavailablePage());
      if (verification?.result === 'BAD_SIGNATURE' || verification?.result === 'UNKNOWN_KEY') return void res.status(409).type('html').send(renderForgedPage(verification));
      if (!verification?.permit) return void res.status(404).type('html').send(renderNotFoundPage(req.params.code));
      return void res.type('html').send(renderScanPage(verification.permit, unavailableDepartments(verification.permit), verification));
    }
    const answer = await askGateway<ScanQuery>(SCAN_QUERY, { code: req.params.code });
    const permit = answer.data?.scanPermit;
    if (permitServiceDown(answer, Boolean(permit))) return void res.status(503).type('html').send(renderUnavailablePage());
    if (!permit) return void res.status(404).type('html').send(renderNotFoundPage(req.params.code));
    res.type('html').send(renderScanPage(permit, unavailableDepartments(permit)));
  });

  // The scan page's complaint form (社会共治): sent on as the person reporting, without a token.
  app.post('/scan/:code/complaints', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const input = { permitCode: req.params.code, itemCode: field('itemCode') || null, text: field('text'), contact: field('contact') || null };
    const answer = await askGateway<ScanPageComplaintMutation>(COMPLAINT_MUTATION, { input });
    const receipt = answer.data?.submitComplaint ?? null;
    if (receipt) return void res.status(201).type('html').send(renderComplaintAnswer(req.params.code, receipt, []));
    const problems = answer.errors.flatMap((e) => {
      const listed = e.extensions?.problems as { path: string; messageZh: string; messageEn: string }[] | undefined;
      return listed?.length ? listed.map((p) => ({ path: p.path, message: `${p.messageZh} / ${p.messageEn}` })) : [{ message: e.message }];
    });
    const code = answer.errors[0]?.extensions?.code;
    res.status(code === 'BAD_USER_INPUT' ? 400 : code === 'NOT_FOUND' ? 404 : answer.status === 429 ? 429 : 503).type('html').send(renderComplaintAnswer(req.params.code, null, problems));
  });

  app.get('/permits/:code/qr.:format', async (req, res) => {
    const format = req.params.format;
    if (format !== 'svg' && format !== 'png') return void res.status(404).type('text').send('qr.svg or qr.png');
    const answer = await askGateway<QrImagesQuery>(QR_IMAGES_QUERY, { code: normaliseCode(req.params.code) });
    const qr = answer.data?.scanPermit;
    if (permitServiceDown(answer, Boolean(qr))) return void res.status(503).type('text').send('凭证服务暂时不可用 / permit service unavailable; try again shortly');
    if (!qr) return void res.status(404).type('text').send('未找到凭证 / no such permit');
    res.set('cache-control', 'public, max-age=86400, immutable'); // a version's QR never changes
    if (format === 'svg') res.type('image/svg+xml').send(qr.qrSvg);
    else res.type('image/png').send(Buffer.from(qr.qrPngBase64, 'base64'));
  });

  // The printed certificate: the caller's token goes to the gateway, the permit subgraph decides (holder or bureau).
  app.get('/permits/:code/certificate.:format', async (req, res) => {
    const format = req.params.format;
    if (format !== 'html' && format !== 'pdf') return void res.status(404).type('text').send('certificate.html or certificate.pdf');
    const authorization = req.header('authorization');
    if (!authorization) return void res.status(401).type('text').send('请先登录：只有持证人和区政务服务局可打印凭证 / Sign in: only the holder and the bureau print the certificate');
    const answer = await askGateway<CertificateQuery>(CERTIFICATE_QUERY, { code: normaliseCode(req.params.code) }, authorization);
    const permit = answer.data?.permitCertificate;
    if (answer.status === 401) return void res.status(401).type('text').send('身份令牌无效或已过期 / Invalid or expired token');
    if (!permit) {
      const error = answer.errors[0];
      const code = error?.extensions?.code;
      const status = code === 'UNAUTHENTICATED' ? 401 : code === 'FORBIDDEN' ? 403 : permitServiceDown(answer, false) ? 503 : 404;
      return void res.status(status).type('text').send(status === 404 ? '未找到凭证，或不是您的凭证 / No such permit, or not yours to print' : (error?.message ?? 'unavailable'));
    }
    const data = certificateData(permit);
    if (format === 'html') res.type('html').send(renderCertificateHtml(data, permit.qrSvg));
    else res.type('application/pdf').send(await sealPdf(await renderCertificatePdf(data, Buffer.from(permit.qrPngBase64, 'base64')), seal));
  });

  // 电子印章: is a PDF handed in one this bureau sealed, and unaltered? Anyone may ask (public, like a scan).
  app.post('/certificates/verify', express.raw({ type: () => true, limit: '10mb' }), (req, res) => {
    const pdf = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') {
      return void res.status(400).json({ code: 'BAD_USER_INPUT', messageZh: '请提交 PDF 文件', messageEn: 'Send the PDF file itself as the request body' });
    }
    const check = verifySealedPdf(pdf, seal);
    res.json({ ...check, authentic: check.signedByBureau && check.unaltered, bureauCertificate: seal.certificate.fingerprint256 });
  });

  // The printable guide: /guides/restaurant?lang=en&answers={"ownSewerConnection":true}
  app.get('/guides/:industryCode', async (req, res) => {
    const lang: GuideLanguage = req.query.lang === 'en' ? 'en' : 'zh';
    let answers: unknown = null;
    if (typeof req.query.answers === 'string' && req.query.answers) {
      try {
        answers = JSON.parse(req.query.answers);
      } catch {
        return void res.status(400).type('text').send('answers 须为 JSON / answers must be JSON');
      }
    }
    const answer = await askGateway<PrintableGuideQuery>(GUIDE_QUERY, { industryCode: req.params.industryCode, answers });
    if (!answer.data?.guide) {
      const error = answer.errors[0];
      const status = error?.extensions?.code === 'NOT_FOUND' ? 404 : error?.extensions?.code === 'BAD_USER_INPUT' ? 400 : 503;
      return void res.status(status).type('text').send(error?.message ?? 'guide unavailable');
    }
    res.type('html').send(renderGuidePage(answer.data.guide, lang));
  });

  // The printable compliance manual (一业一册): /manuals/restaurant?lang=en
  app.get('/manuals/:industryCode', async (req, res) => {
    const lang: ManualLanguage = req.query.lang === 'en' ? 'en' : 'zh';
    const answer = await askGateway<ComplianceManualQuery>(MANUAL_QUERY, { industryCode: req.params.industryCode });
    if (!answer.data?.industry) {
      const error = answer.errors[0];
      if (!error) return void res.status(404).type('text').send('未找到该行业 / No such industry');
      return void res.status(error.extensions?.code === 'BAD_USER_INPUT' ? 400 : 503).type('text').send(error.message);
    }
    res.type('html').send(renderManualPage(answer.data.industry, lang));
  });

  // The work team's roster (附件1), printable; for staff, so the caller's token goes to the gateway.
  app.get('/work-team', async (req, res) => {
    const authorization = req.header('authorization');
    if (!authorization) return void res.status(401).type('text').send('请先登录 / Sign in: the roster is for staff');
    const answer = await askGateway<WorkTeamPageQuery>(WORK_TEAM_QUERY, {}, authorization);
    if (answer.status === 401) return void res.status(401).type('text').send('身份令牌无效或已过期 / Invalid or expired token');
    const team = answer.data?.workTeam;
    if (!team) {
      const code = answer.errors[0]?.extensions?.code;
      if (code === 'FORBIDDEN' || code === 'UNAUTHENTICATED') return void res.status(code === 'FORBIDDEN' ? 403 : 401).type('text').send(answer.errors[0].message);
      if (answer.errors.length) return void res.status(503).type('text').send(answer.errors[0].message);
      return void res.status(404).type('text').send('尚未发布工作专班名册 / No work team roster published yet');
    }
    res.type('html').send(renderWorkTeamPage(team));
  });

  // A case (落地案例) for an industry: /cases/restaurant, or ?format=csv; admins and analysts (the caller's token).
  app.get('/cases/:industryCode', async (req, res) => {
    const authorization = req.header('authorization');
    if (!authorization) return void res.status(401).type('text').send('请先登录 / Sign in: cases are for the bureau and analysts');
    const answer = await askGateway<IndustryCaseQuery>(CASE_QUERY, { industryCode: req.params.industryCode }, authorization);
    if (answer.status === 401) return void res.status(401).type('text').send('身份令牌无效或已过期 / Invalid or expired token');
    if (!answer.data) {
      const code = answer.errors[0]?.extensions?.code;
      return void res.status(code === 'FORBIDDEN' ? 403 : code === 'UNAUTHENTICATED' ? 401 : 503).type('text').send(answer.errors[0]?.message ?? 'unavailable');
    }
    const data = caseRows(answer.data);
    if (!data) return void res.status(404).type('text').send('未找到该行业 / No such industry');
    if (req.query.format === 'csv') {
      res.set('content-disposition', `attachment; filename="case-${data.industry.code}.csv"`);
      return void res.type('text/csv; charset=utf-8').send(caseCsv(data));
    }
    res.type('html').send(renderCasePage(data));
  });

  // The bureau's dashboard: the page, its scripts, and its data asked with the viewer's token, one query per panel.
  app.get('/dashboard', (_req, res) => {
    res.type('html').send(renderDashboardPage());
  });
  app.get('/assets/chart.umd.min.js', (_req, res) => res.type('application/javascript').sendFile(CHART_JS));
  app.get('/assets/dashboard.js', (_req, res) => res.type('application/javascript').sendFile(join(__dirname, 'assets', 'dashboard.js')));
  app.get('/dashboard/data', async (req, res) => {
    const authorization = req.header('authorization');
    if (!authorization) return void res.status(401).json({ error: '请先登录 / sign in' });
    const year = Number(beijingToday().slice(0, 4));
    const answers = await Promise.all(Object.entries(DASHBOARD_QUERIES).map(async ([name, query]) => [name, await askGateway(query, name === 'supervision' ? { year } : {}, authorization)] as const));
    if (answers.some(([, a]) => a.status === 401)) return void res.status(401).json({ error: '身份令牌无效或已过期 / invalid or expired token' });
    const panels = Object.fromEntries(answers.map(([name, a]) => [name, a.data ? { data: a.data } : { error: a.errors[0]?.message ?? 'unavailable' }]));
    res.set('cache-control', 'no-store').json({ at: new Date().toISOString(), panels });
  });

  // The public keys that sign permit QR codes, for inspectors' apps to verify offline (docs/qr.md §5).
  app.get('/.well-known/permit-keys.json', async (_req, res) => {
    const answer = await askGateway<PermitKeysQuery>(PERMIT_KEYS_QUERY, {});
    if (!answer.data?.permitSigningKeys) return void res.status(503).json({ error: 'permit service unavailable' });
    res.set('cache-control', 'public, max-age=300').json(answer.data.permitSigningKeys);
  });

  // Every route ends here: a plain answer, never a stack trace or a path on this machine.
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).type('text').send('未找到 / Not found');
  });
  app.use((error: { status?: number; statusCode?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status ?? error.statusCode ?? 500;
    if (status >= 500) log.error({ err: error }, 'request failed');
    res
      .status(status >= 400 && status < 600 ? status : 500)
      .type('text')
      .send(status < 500 ? '请求有误 / Bad request' : '服务器内部错误，请稍后重试 / Internal error; try again shortly');
  });

  const httpServer = http.createServer(app);
  keepIdleConnectionsOpen(httpServer);
  await new Promise<void>((resolve) => httpServer.listen(port, config.LISTEN_HOST, resolve));
  const address = httpServer.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  log.info({ port: actualPort, gateway: config.GATEWAY_URL }, 'documents ready');
  return {
    url: `http://127.0.0.1:${actualPort}`,
    close: () => new Promise<void>((resolve) => httpServer.close(() => resolve())),
  };
}

/** Departments whose licences came back without a state: they did not answer. */
function unavailableDepartments(permit: ScannedPermit): string[] {
  return [...new Set(permit.items.filter((i) => i.licence && i.licence.status === null).map((i) => i.departmentNameZh))];
}
