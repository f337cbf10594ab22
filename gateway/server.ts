import '../shared/no-telemetry';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { request } from 'undici';
import { PUBLIC_IDENTITY } from '../shared/identity';
import { publicJwk } from '../shared/keys';
import { gatewayConfig } from './config';
import { createLogger } from '../shared/logger';
import { REPO_ROOT, serviceUrl, services } from '../shared/registry';
import { formatError } from '../shared/subgraph-server';
import type { GraphQLSchema } from 'graphql';
import { CallerAuthenticator } from './auth';
import { checkOperation } from './limits';
import { SignedIdentityDataSource, type GatewayContext } from './data-source';
import { CERTIFICATE_QUERY, certificateData, type CertificatePermit } from './certificate-data';
import { renderCertificateHtml, renderCertificatePdf } from './certificate';
import { GUIDE_QUERY, renderGuidePage, type GuideData, type GuideLanguage } from './guide-page';
import {
  SCAN_QUERY,
  VERIFY_QUERY,
  renderForgedPage,
  renderNotFoundPage,
  renderScanPage,
  renderUnavailablePage,
  type ScannedPermit,
  type Verification,
} from './scan-page';

/** A GET request's operation, as a body (its variables arrive as JSON text). */
function getBody(query: Record<string, unknown>): Record<string, unknown> {
  let variables: unknown = undefined;
  if (typeof query.variables === 'string') {
    try {
      variables = JSON.parse(query.variables);
    } catch {
      variables = undefined;
    }
  }
  return { query: query.query, operationName: query.operationName, variables };
}

export interface RunningGateway {
  url: string;
  close: () => Promise<void>;
}

/**
 * The one endpoint: authenticates callers, plans queries over the static
 * supergraph (schema/supergraph.graphql) and serves the public scan page,
 * QR images, offline GraphiQL and health checks.
 */
export async function startGateway(port: number): Promise<RunningGateway> {
  gatewayConfig();
  const log = createLogger('gateway');
  const authenticator = new CallerAuthenticator();
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8'),
    // Placement comes from the registry and SERVICE_URLS, not the URLs baked in at composition.
    buildService: ({ name }) => new SignedIdentityDataSource({ name: name!, url: `${serviceUrl(name!)}/graphql` }),
  });

  // The API schema, for checking operations against their limits before they are planned.
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => {
    apiSchema = loaded;
  });
  const production = gatewayConfig().NODE_ENV === 'production';

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const server = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled()],
    formatError,
    includeStacktraceInErrorResponses: false,
    // In production no "Did you mean …?" suggestions: they would reveal the schema to anyone.
    hideSchemaDetailsFromClientErrors: production,
    // Staff may look at the schema (GraphiQL); the anonymous public may not in production (gateway/limits.ts).
    introspection: true,
  });
  await server.start();

  /** Runs a query as the public would (the scan page and QR images are public). */
  const publicQuery = async <T>(query: string, variables: Record<string, unknown>) => {
    const response = await server.executeOperation<T>({ query, variables }, { contextValue: { identity: PUBLIC_IDENTITY } });
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    return response.body.singleResult;
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all(
      services().map(async (s) => {
        try {
          const r = await request(`${serviceUrl(s.name)}/readyz`, { headersTimeout: 2000, bodyTimeout: 2000 });
          await r.body.text();
          return [s.name, r.statusCode === 200 ? 'ready' : `status ${r.statusCode}`] as const;
        } catch (error) {
          return [s.name, `unreachable: ${(error as Error).message}`] as const;
        }
      }),
    );
    const ready = checks.every(([, state]) => state === 'ready');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'degraded', subgraphs: Object.fromEntries(checks) });
  });

  app.get('/', (_req, res) => res.redirect('/graphiql'));
  app.get('/graphiql', (_req, res) => {
    res.type('html').send(
      renderGraphiQL({
        endpoint: '/graphql',
        title: '一业一证 GraphiQL',
        defaultQuery: '# 一业一证 — try: { industries { code nameZh rolloutState } }\n{\n  industries { code nameZh nameEn rolloutState }\n}\n',
      }),
    );
  });

  /** True when the permit subgraph itself did not answer: "unknown code" would be a lie then. */
  const permitServiceDown = (errors: readonly { extensions?: Record<string, unknown> }[] | undefined, found: boolean) =>
    !found && (errors ?? []).some((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE' || e.extensions?.serviceName === 'permit');

  app.get('/scan/:code', async (req, res) => {
    const signed = typeof req.query.s === 'string';
    // A scanned QR carries its signature: check it. A code typed in by hand is only looked up.
    const result = signed
      ? await publicQuery<{ verifyPermit: Verification }>(VERIFY_QUERY, { qrContent: `http://scan.local${req.originalUrl}` })
      : await publicQuery<{ scanPermit: ScannedPermit | null }>(SCAN_QUERY, { code: req.params.code });
    const verification = signed ? (result.data as { verifyPermit: Verification } | null)?.verifyPermit : undefined;
    const permit = signed ? verification?.permit : (result.data as { scanPermit: ScannedPermit | null } | null)?.scanPermit;
    if (permitServiceDown(result.errors, Boolean(verification ?? permit))) {
      res.status(503).type('html').send(renderUnavailablePage());
      return;
    }
    if (verification && !verification.authentic && verification.result !== 'UNKNOWN_CODE') {
      res.status(409).type('html').send(renderForgedPage(verification));
      return;
    }
    if (!permit) {
      res.status(404).type('html').send(renderNotFoundPage(req.params.code));
      return;
    }
    const unavailable = permit.items.filter((i) => i.licence && i.licence.status === null).map((i) => i.departmentNameZh);
    res.type('html').send(renderScanPage(permit, [...new Set(unavailable)], verification));
  });

  // The printed certificate, for the holder and the bureau: /permits/<permit id>/certificate.html|pdf
  app.get('/permits/:id/certificate.:format', async (req, res) => {
    const format = req.params.format;
    if (format !== 'html' && format !== 'pdf') {
      res.status(404).send('certificate.html or certificate.pdf');
      return;
    }
    let identity;
    try {
      identity = await authenticator.authenticate(req.header('authorization'));
    } catch {
      res.status(401).type('text').send('身份令牌无效或已过期 / Invalid or expired token');
      return;
    }
    // The certificate is printed for its holder and by the bureau, nobody else (a department reads the permit, it does not print it).
    if (!['APPLICANT', 'CLERK', 'ISSUER', 'ADMIN'].includes(identity.role)) {
      res.status(identity.role === 'PUBLIC' ? 401 : 403).type('text').send('只有持证人和区政务服务局可打印凭证 / Only the holder and the bureau print the certificate');
      return;
    }
    const response = await server.executeOperation<{ permit: CertificatePermit | null }>(
      { query: CERTIFICATE_QUERY, variables: { id: req.params.id } },
      { contextValue: { identity } },
    );
    const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
    const permit = result?.data?.permit;
    if (!permit) {
      const code = result?.errors?.[0]?.extensions?.code;
      res.status(code === 'UNAUTHENTICATED' ? 401 : code === 'FORBIDDEN' ? 403 : 404).type('text').send(result?.errors?.[0]?.message ?? '未找到凭证 / no such permit (or not yours to print)');
      return;
    }
    const data = certificateData(permit);
    if (format === 'html') res.type('html').send(renderCertificateHtml(data, permit.qrSvg));
    else res.type('application/pdf').send(await renderCertificatePdf(data, Buffer.from(permit.qrPngBase64, 'base64')));
  });

  // The public keys of the identity the gateway forwards, for subgraphs (GATEWAY_IDENTITY_JWKS_URL).
  app.get('/.well-known/identity-keys.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json({ keys: gatewayConfig().GATEWAY_IDENTITY_KEYS.map(publicJwk) });
  });

  // The public keys that sign permit QR codes, for inspectors' apps to verify offline.
  app.get('/.well-known/permit-keys.json', async (_req, res) => {
    const result = await publicQuery<{ permitSigningKeys: unknown }>('{ permitSigningKeys }', {});
    if (!result.data?.permitSigningKeys) {
      res.status(503).json({ error: 'permit service unavailable' });
      return;
    }
    res.set('cache-control', 'public, max-age=300').json(result.data.permitSigningKeys);
  });

  // The printable guide: /guides/restaurant?lang=en&answers={"ownSewerConnection":true}
  app.get('/guides/:industryCode', async (req, res) => {
    const lang: GuideLanguage = req.query.lang === 'en' ? 'en' : 'zh';
    let answers: unknown = null;
    if (typeof req.query.answers === 'string' && req.query.answers) {
      try {
        answers = JSON.parse(req.query.answers);
      } catch {
        res.status(400).type('text').send('answers 须为 JSON / answers must be JSON');
        return;
      }
    }
    const result = await publicQuery<{ guide: GuideData }>(GUIDE_QUERY, { industryCode: req.params.industryCode, answers });
    if (!result.data?.guide) {
      const error = result.errors?.[0];
      const status = error?.extensions?.code === 'NOT_FOUND' ? 404 : error?.extensions?.code === 'BAD_USER_INPUT' ? 400 : 503;
      res.status(status).type('text').send(error?.message ?? 'guide unavailable');
      return;
    }
    res.type('html').send(renderGuidePage(result.data.guide, lang));
  });

  app.get('/permits/:code/qr.:format', async (req, res) => {
    const format = req.params.format;
    if (format !== 'svg' && format !== 'png') {
      res.status(404).send('qr.svg or qr.png');
      return;
    }
    const result = await publicQuery<{ scanPermit: { qrSvg: string; qrPngBase64: string } | null }>(
      'query Qr($code: ID!) { scanPermit(code: $code) { qrSvg qrPngBase64 } }',
      { code: req.params.code },
    );
    const qr = result.data?.scanPermit;
    if (permitServiceDown(result.errors, Boolean(qr))) {
      res.status(503).send('permit service unavailable; try again shortly');
      return;
    }
    if (!qr) {
      res.status(404).send('no such permit');
      return;
    }
    if (format === 'svg') res.type('image/svg+xml').send(qr.qrSvg);
    else res.type('image/png').send(Buffer.from(qr.qrPngBase64, 'base64'));
  });

  app.use(
    '/graphql',
    express.json({ limit: '8mb' }),
    async (req, res, next) => {
      try {
        res.locals.identity = await authenticator.authenticate(req.header('authorization'));
        next();
      } catch (error) {
        log.warn({ err: String(error) }, 'token refused');
        res.status(401).json({
          errors: [{ message: '身份令牌无效或已过期 / Invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } }],
        });
      }
    },
    // The caller's limits, before anything is planned (gateway/limits.ts).
    (req, res, next) => {
      const body = req.method === 'GET' ? getBody(req.query as Record<string, unknown>) : (req.body as Record<string, unknown> | undefined);
      const refused = apiSchema && body && typeof body === 'object' ? checkOperation(apiSchema, body, res.locals.identity, production) : null;
      if (refused) {
        log.warn({ role: res.locals.identity.role, code: refused.errors[0].extensions.code }, 'operation refused by its limits');
        res.status(refused.status).json({ errors: refused.errors });
        return;
      }
      next();
    },
    expressMiddleware(server, { context: async ({ res }) => ({ identity: res.locals.identity }) }),
  );

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

  await new Promise<void>((resolve) => httpServer.listen(port, gatewayConfig().LISTEN_HOST, resolve));
  log.info({ port }, 'gateway ready');
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.stop();
    },
  };
}
