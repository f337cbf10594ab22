import { createHash } from 'node:crypto';
import express from 'express';
import { jwtVerify, SignJWT } from 'jose';
import { request } from 'undici';
import { z } from 'zod';
import type { GraphQLError } from 'graphql';
import { subgraphConfig } from '../../shared/config';
import type { Connection } from 'mongoose';
import { withRequestDeadline } from '../../shared/db';
import { isDatabaseUnavailable, type FieldProblem } from '../../shared/errors';
import { externalEvent, PermanentRefusal, type PlatformEvent } from '../../shared/events';
import { contentHash } from '../../shared/idempotency';
import { cleanTree } from '../../shared/validation/text';
import { privateSigningKey, publicJwk, verifyingKeySet } from '../../shared/keys';
import type { Logger } from '../../shared/logger';
import type { ApplicationDoc } from './application';
import { applicableItems, type Catalogue } from './catalogue';
import type { Answers } from '../../shared/catalogue';
import { editionsFor } from './editions';
import { applicationsConfig } from './config';
import { ApplicationStore } from './store';
import { checkSubmission, insertSubmission, submissionDoc } from './submission';
import cityMatterTable from './city-matters.json';

/**
 * 北京市统一申办受理平台（京通）: the city's unified intake, where a business may
 * apply for the district's 一业一证 too. The city hands the application over
 * here (POST /city/applications), signed with its key; we check it exactly as
 * the window's or the applicant's own submission (the same catalogue edition,
 * answers, form and commitments), file it under channel CITY and answer with
 * our application number. Its reference number makes the hand-over
 * idempotent: the application's id is derived from it, so a repeat with the
 * same content gets the same answer and one with other content is refused.
 * Each later notification of the application (accepted, supplement notice,
 * refusal, each decision, the permit) is also called back to the city,
 * signed with our own callback key, through the outbox: nothing is lost
 * while the city is down.
 */

/** The outbox destination of status callbacks. */
export const CITY_PLATFORM = 'city-platform';
/** Who a hand-over is addressed to, and who signs the callbacks. */
export const CITY_AUDIENCE = 'yiye-applications';
const CALLBACK_ISSUER = 'yiye-applications';
/** A signed hand-over is accepted this long after it was signed (its reference makes a replay harmless anyway). */
const MAX_HANDOVER_AGE = '5m';

/** The city's matter code for each 一业一证 theme, and our industry (city-matters.json; the codes are illustrative). */
export const CITY_MATTERS: ReadonlyMap<string, string> = new Map(Object.entries(cityMatterTable.matters));

/** Every mapped industry must be in the catalogue, or the service does not start. */
export function checkCityMatters(catalogue: Catalogue): void {
  const unknown = [...CITY_MATTERS].filter(([, industry]) => !catalogue.industry(industry));
  if (unknown.length) throw new Error(`city-matters.json maps to industries the catalogue lacks: ${unknown.map(([m, i]) => `${m} → ${i}`).join(', ')}`);
}

const text = (max: number) => z.string().trim().min(1).max(max);

/** What the city hands over: its reference, the theme, the business as 京通 authenticated it, and our form's answers and values. */
const handOverSchema = z.object({
  referenceNumber: z.string().regex(/^[A-Za-z0-9-]{6,40}$/),
  matterCode: text(40),
  submittedAt: z.iso.datetime({ offset: true }),
  applicant: z.object({ creditCode: text(18), name: text(100) }),
  answers: z.record(z.string(), z.unknown()),
  values: z.record(z.string(), z.unknown()),
  commitments: z.array(z.string()).max(50).optional(),
});
export type HandOver = z.infer<typeof handOverSchema>;

/** What the city gets back, for a first hand-over and for every repeat of it. */
export interface HandOverAnswer {
  referenceNumber: string;
  applicationId: string;
  applicationNumber: string;
  status: string;
  receivedAt: string;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageZh: string,
    readonly messageEn: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(`${messageZh} / ${messageEn}`);
  }
  get body() {
    return { code: this.code, messageZh: this.messageZh, messageEn: this.messageEn, ...(this.problems.length ? { problems: this.problems } : {}) };
  }
}

/** The application a reference number files: the same id on every repeat, so inserting it is the claim. */
export function cityApplicationId(referenceNumber: string): string {
  const h = createHash('sha256').update(`city\n${referenceNumber}`).digest('hex');
  return `city-${h.slice(0, 32)}`;
}

/** The business as 京通 authenticated it goes into the form's applicant fields; values saying otherwise are refused. */
function withApplicant(handOver: HandOver, fieldKeys: string[]): { values: Record<string, unknown>; problems: FieldProblem[] } {
  const values = { ...handOver.values };
  const problems: FieldProblem[] = [];
  const fromCity: Record<string, string> = { creditCode: handOver.applicant.creditCode, companyName: handOver.applicant.name };
  for (const key of fieldKeys) {
    const base = key.includes(':') ? key.slice(key.indexOf(':') + 1) : key;
    const authenticated = fromCity[base];
    if (authenticated === undefined) continue;
    if (values[key] === undefined || values[key] === '') values[key] = authenticated;
    else if (values[key] !== authenticated) {
      problems.push({
        path: `handOver.values.${key}`,
        code: 'APPLICANT_MISMATCH',
        messageZh: `「${key}」与京通认证的申请主体不一致`,
        messageEn: `"${key}" differs from the business the city platform authenticated`,
      });
    }
  }
  return { values, problems };
}

/** Checks, maps and files one signed hand-over; a refusal writes nothing. */
export async function receiveHandOver(db: Connection, token: string, log: Logger): Promise<{ status: number; answer: HandOverAnswer }> {
  const config = applicationsConfig();
  if (!config.CITY_PLATFORM_KEYS) throw new Refusal(404, 'NOT_CONFIGURED', '本部署未接入市级统一申办受理平台', 'This deployment takes no hand-overs from the city platform');
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, verifyingKeySet(config.CITY_PLATFORM_KEYS.keys), {
      issuer: config.CITY_PLATFORM_ISSUER,
      audience: CITY_AUDIENCE,
      algorithms: ['EdDSA'],
      maxTokenAge: MAX_HANDOVER_AGE,
      requiredClaims: ['iat', 'exp'],
    }));
  } catch (error) {
    log.warn({ reason: (error as Error).message }, 'city hand-over with a bad signature refused');
    throw new Refusal(401, 'BAD_SIGNATURE', '移交数据未经市级平台有效签名，已拒收', 'The hand-over is not validly signed by the city platform; refused');
  }
  // The gateway's input hygiene (NFC, no invisible characters), since this door is not the gateway's.
  const hygiene: FieldProblem[] = [];
  const cleaned = cleanTree(claims.handOver, 'handOver', hygiene);
  if (hygiene.length) throw new Refusal(422, 'BAD_USER_INPUT', hygiene[0].messageZh, hygiene[0].messageEn, hygiene);
  const parsed = handOverSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      path: ['handOver', ...issue.path].join('.'),
      code: issue.code === 'invalid_type' && issue.input === undefined ? 'REQUIRED' : 'INVALID_FORMAT',
      messageZh: issue.input === undefined ? '缺少必填项' : '格式不正确',
      messageEn: issue.input === undefined ? 'Required' : `Invalid: ${issue.message}`,
    }));
    throw new Refusal(422, 'BAD_USER_INPUT', `移交数据有误（共 ${problems.length} 处）`, `The hand-over is invalid (${problems.length} problems)`, problems);
  }
  const handOver = parsed.data;
  const industryCode = CITY_MATTERS.get(handOver.matterCode);
  if (!industryCode) {
    throw new Refusal(422, 'BAD_USER_INPUT', `未知的主题事项编码：${handOver.matterCode}`, `Unknown matter code: ${handOver.matterCode}`, [
      { path: 'handOver.matterCode', code: 'UNKNOWN_MATTER', messageZh: `未知的主题事项编码：${handOver.matterCode}`, messageEn: `Unknown matter code: ${handOver.matterCode}` },
    ]);
  }

  const store = new ApplicationStore(db);
  const id = cityApplicationId(handOver.referenceNumber);
  const hash = contentHash(handOver);
  const sameHandOver = (earlier: { doc: ApplicationDoc }) => {
    if (earlier.doc.city?.contentHash !== hash) {
      throw new Refusal(409, 'DUPLICATE_REFERENCE', `受理编号 ${handOver.referenceNumber} 已移交过不同的内容`, `Reference ${handOver.referenceNumber} was handed over before with other content`, [
        { path: 'handOver.referenceNumber', code: 'DUPLICATE_REFERENCE', messageZh: '同一受理编号的内容不同', messageEn: 'The same reference number with other content' },
      ]);
    }
  };
  const earlier = await store.load(id);
  if (earlier) {
    sameHandOver(earlier);
    return { status: 200, answer: answerFor(earlier.doc, earlier.status) };
  }

  const catalogue = await editionsFor(db).currentEdition();
  if (!catalogue.industry(industryCode)) throw new Refusal(422, 'BAD_USER_INPUT', '该主题事项对应的行业未发布', 'The industry of this matter is not published', [{ path: 'handOver.matterCode', code: 'NOT_PUBLISHED', messageZh: '对应行业未发布', messageEn: 'Its industry is not published' }]);
  const { values, problems } = withApplicant(handOver, applicantFieldKeys(catalogue, industryCode, handOver.answers));
  let checked;
  try {
    checked = checkSubmission(catalogue, { industryCode, answers: handOver.answers, values, commitments: handOver.commitments }, 'handOver', 'handOver.matterCode');
  } catch (error) {
    const extensions = (error as GraphQLError).extensions ?? {};
    const found = (extensions.problems as FieldProblem[] | undefined) ?? [];
    if (!found.length && !problems.length) throw error;
    const all = [...problems, ...found];
    throw new Refusal(422, 'BAD_USER_INPUT', `移交数据有误（共 ${all.length} 处）`, `The hand-over is invalid (${all.length} problems)`, all);
  }
  if (problems.length) throw new Refusal(422, 'BAD_USER_INPUT', `移交数据有误（共 ${problems.length} 处）`, `The hand-over is invalid (${problems.length} problems)`, problems);

  const doc: ApplicationDoc = {
    _id: id,
    ...submissionDoc(checked, catalogue.edition),
    channel: 'CITY',
    submittedBy: CITY_PLATFORM,
    city: { referenceNumber: handOver.referenceNumber, matterCode: handOver.matterCode, submittedAt: handOver.submittedAt, contentHash: hash },
  };
  const { app, created } = await insertSubmission(store, doc, (existing) => {
    sameHandOver(existing); // the same reference at the same moment: the first stands
    return existing;
  });
  if (created) log.info({ applicationId: app.id, referenceNumber: handOver.referenceNumber, industryCode }, 'application handed over by the city platform');
  return { status: created ? 201 : 200, answer: answerFor(app.doc, app.status) };
}

/** The form's applicant fields for these answers: shared on the merged form, per item on item forms. */
function applicantFieldKeys(catalogue: Catalogue, industryCode: string, answers: Record<string, unknown>): string[] {
  const industry = catalogue.industry(industryCode)!;
  if (industry.mergedForm) return ['creditCode', 'companyName'];
  return applicableItems(catalogue, industry, answers as Answers).flatMap((item) => [`${item.code}:creditCode`, `${item.code}:companyName`]);
}

function answerFor(doc: ApplicationDoc, status: string): HandOverAnswer {
  return { referenceNumber: doc.city!.referenceNumber, applicationId: doc._id, applicationNumber: doc.number, status, receivedAt: doc.submittedAt.toISOString() };
}

/** The routes the city platform calls: hand-overs in, and the public key our callbacks are signed with. */
export function cityIntakeRoutes(db: Connection, log: Logger): express.Router {
  const router = express.Router();
  router.post('/city/applications', express.json({ limit: '8mb' }), async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    try {
      if (!token) throw new Refusal(400, 'BAD_REQUEST', '请求体须为 {"token": "<签名的移交数据>"}', 'The body must be {"token": "<signed hand-over>"}');
      const { status, answer } = await withRequestDeadline(() => receiveHandOver(db, token, log), subgraphConfig().REQUEST_BUDGET_MS);
      res.status(status).json(answer);
    } catch (error) {
      if (error instanceof Refusal) return void res.status(error.status).json(error.body);
      if (isDatabaseUnavailable(error)) {
        return void res.status(503).json({ code: 'UNAVAILABLE', messageZh: '数据库暂时不可用，未接收，请稍后重试', messageEn: 'The database is unavailable; nothing was written. Try again shortly' });
      }
      log.error({ err: error }, 'city hand-over failed');
      res.status(500).json({ code: 'INTERNAL', messageZh: '服务器内部错误，请稍后重试', messageEn: 'Internal error; try again shortly' });
    }
  });
  // The city verifies our callbacks with this (rotation: publish the new key here before signing with it).
  router.get('/city/keys', (_req, res) => {
    const key = applicationsConfig().CITY_CALLBACK_SIGNING_KEY;
    res.json({ keys: key ? [publicJwk(key)] : [] });
  });
  return router;
}

/** The status callback for one notification of a city application: what the applicant is told, the city is told too. */
export function cityCallback(doc: ApplicationDoc, notification: { key: string; seq: number; kind: string; titleZh: string; titleEn: string; bodyZh: string; bodyEn: string; at: Date }): PlatformEvent | null {
  if (!doc.city || !applicationsConfig().CITY_CALLBACK_URL) return null;
  const { key, seq, at, kind, ...text } = notification;
  return externalEvent(
    'CityStatusCallback',
    'applications',
    CITY_PLATFORM,
    { referenceNumber: doc.city.referenceNumber, applicationId: doc._id, applicationNumber: doc.number, sequence: seq, status: kind, ...text, at: at.toISOString() },
    `CityStatusCallback:${doc._id}:${key}`,
  );
}

/**
 * Sends one callback: POST {token} to CITY_CALLBACK_URL, the token signed with
 * our callback key, the event id as idempotency key. A 4xx but 408 and 429 is a
 * refusal for good (an operator sees it among the dead letters); anything
 * else not 2xx is retried.
 */
export async function sendCityCallback(event: PlatformEvent): Promise<void> {
  const { CITY_CALLBACK_URL: target, CITY_CALLBACK_SIGNING_KEY: jwk } = applicationsConfig();
  if (!target || !jwk) throw new Error('CITY_CALLBACK_URL and CITY_CALLBACK_SIGNING_KEY must be set');
  const { kid, key } = await privateSigningKey(jwk, 'CITY_CALLBACK_SIGNING_KEY');
  const token = await new SignJWT({ callback: event.payload })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setIssuer(CALLBACK_ISSUER)
    .setAudience(applicationsConfig().CITY_PLATFORM_ISSUER)
    .setSubject(String(event.payload.referenceNumber))
    .setJti(event.id)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
  const response = await request(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': event.id },
    body: JSON.stringify({ token }),
    headersTimeout: 10000,
    bodyTimeout: 10000,
  });
  const body = await response.body.text();
  if (response.statusCode >= 200 && response.statusCode < 300) return;
  const message = `city platform answered ${response.statusCode}: ${body.slice(0, 200)}`;
  if (response.statusCode >= 400 && response.statusCode < 500 && response.statusCode !== 408 && response.statusCode !== 429) throw new PermanentRefusal(message);
  throw new Error(message);
}
