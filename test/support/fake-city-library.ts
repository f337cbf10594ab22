/**
 * A stand-in for the city e-licence library (市电子证照库): a real HTTP server
 * on 127.0.0.1 that accepts licence pushes the way the outside system would,
 * and lets tests simulate outages and failures.
 *
 *   PUT /licences/:identifier
 *     Authorization: Bearer <token>        401 when missing or wrong
 *     Idempotency-Key: <key>               400 when missing
 *     body: LicenceMetadata + { event }    400 unreadable JSON / bad event,
 *                                          422 metadata failing LicenceMetadataSchema
 *                                              or identifier differing from the path
 *   → 201 for the first push of an identifier, 200 for later ones, with
 *     { identifier, event, revision } where revision counts that identifier's pushes.
 *
 *   GET /licences?holderCode=<credit code>&licenceType=business-licence
 *     Authorization: Bearer <token>        401 when missing or wrong
 *   → 200 with the business licence's record, 404 when the library holds none
 *     (tests put one there with `holdBusinessLicence`).
 *
 * A repeated Idempotency-Key gets the first response again (same status and
 * body, plus `Idempotent-Replayed: true`) and has no second effect; reusing a
 * key for a different identifier or body gets 422. While `setDown(true)`,
 * everything is answered 503; otherwise `failNext(n)` answers the next n
 * requests 500. Neither outage nor failures are recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { LicenceMetadataSchema, type LicenceMetadata } from '../../shared/elicence';

export const DEFAULT_LIBRARY_TOKEN = 'test-library-token';

export type LicenceEvent = 'ISSUED' | 'REISSUED' | 'VOIDED' | 'SUPERSEDED';
export const LICENCE_EVENTS: readonly LicenceEvent[] = ['ISSUED', 'REISSUED', 'VOIDED', 'SUPERSEDED'];

export type LicencePushBody = LicenceMetadata & { event: LicenceEvent };

export interface ReceivedPush {
  key: string;
  identifier: string;
  body: LicencePushBody;
  at: Date;
}

export interface FakeCityLibrary {
  /** Base URL, e.g. http://127.0.0.1:12345 (no trailing slash). */
  readonly url: string;
  readonly token: string;
  /** Every push answered 200/201, idempotent replays included, in arrival order. */
  readonly received: ReceivedPush[];
  /** Effects: identifier → bodies applied, in order; replays are not repeated here. */
  readonly applied: Map<string, LicencePushBody[]>;
  /** Puts a business licence for this holder in the library, as the market regulator's registration does. */
  holdBusinessLicence(creditCode: string, companyName: string): void;
  /** Every business licence lookup answered (200 or 404), by holder. */
  readonly lookups: string[];
  /** While down, every request is answered 503. */
  setDown(down: boolean): void;
  /** The next n requests (not counting those answered 503 while down) are answered 500. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export interface FakeCityLibraryOptions {
  token?: string;
  /** Check bodies against LicenceMetadataSchema (default true). */
  validateMetadata?: boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;

interface StoredResponse {
  identifier: string;
  body: unknown;
  status: number;
  payload: unknown;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly details?: unknown,
  ) {
    super(error);
  }
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'body_too_large');
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpProblem(400, 'invalid_json');
  }
}

export async function startFakeCityLibrary(options: FakeCityLibraryOptions = {}): Promise<FakeCityLibrary> {
  const token = options.token ?? DEFAULT_LIBRARY_TOKEN;
  const validateMetadata = options.validateMetadata ?? true;
  const received: ReceivedPush[] = [];
  const applied = new Map<string, LicencePushBody[]>();
  const responses = new Map<string, StoredResponse>();
  let down = false;
  let failures = 0;
  const businessLicences = new Map<string, Record<string, string>>();
  const lookups: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (down) {
      req.resume();
      return send(res, 503, { error: 'service_unavailable' }, { 'retry-after': '1' });
    }
    if (failures > 0) {
      failures -= 1;
      req.resume();
      return send(res, 500, { error: 'internal_error' });
    }

    const url = new URL(req.url ?? '/', 'http://library.invalid');
    const path = url.pathname;
    if (path === '/licences' && req.method === 'GET') {
      req.resume();
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
      const holder = url.searchParams.get('holderCode') ?? '';
      lookups.push(holder);
      const licence = url.searchParams.get('licenceType') === 'business-licence' ? businessLicences.get(holder) : undefined;
      return licence ? send(res, 200, licence) : send(res, 404, { error: 'not_found' });
    }
    const match = /^\/licences\/([^/]+)$/.exec(path);
    if (match === null) {
      req.resume();
      return send(res, 404, { error: 'not_found' });
    }
    if (req.method !== 'PUT') {
      req.resume();
      return send(res, 405, { error: 'method_not_allowed' }, { allow: 'PUT' });
    }
    let identifier: string;
    try {
      identifier = decodeURIComponent(match[1]!);
    } catch {
      req.resume();
      return send(res, 400, { error: 'invalid_identifier' });
    }

    if (req.headers.authorization !== `Bearer ${token}`) {
      req.resume();
      return send(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    }
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.trim() === '') {
      req.resume();
      return send(res, 400, { error: 'idempotency_key_required' });
    }

    const body = await readJson(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpProblem(400, 'body_must_be_an_object');
    }
    const { event, ...metadata } = body as Record<string, unknown>;
    if (!LICENCE_EVENTS.includes(event as LicenceEvent)) {
      throw new HttpProblem(400, 'invalid_event', { expected: LICENCE_EVENTS });
    }

    const earlier = responses.get(key);
    if (earlier !== undefined) {
      if (earlier.identifier !== identifier || !isDeepStrictEqual(earlier.body, body)) {
        throw new HttpProblem(422, 'idempotency_key_reused');
      }
      received.push({ key, identifier, body: body as LicencePushBody, at: new Date() });
      return send(res, earlier.status, earlier.payload, { 'idempotent-replayed': 'true' });
    }

    if (metadata.identifier !== identifier) throw new HttpProblem(422, 'identifier_mismatch');
    if (validateMetadata) {
      const checked = LicenceMetadataSchema.safeParse(metadata);
      if (!checked.success) throw new HttpProblem(422, 'invalid_metadata', checked.error.issues);
    }

    const push = body as LicencePushBody;
    const history = applied.get(identifier) ?? [];
    history.push(push);
    applied.set(identifier, history);
    received.push({ key, identifier, body: push, at: new Date() });
    const status = history.length === 1 ? 201 : 200;
    const payload = { identifier, event: push.event, revision: history.length };
    responses.set(key, { identifier, body, status, payload });
    send(res, status, payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof HttpProblem) {
        send(res, error.status, error.details === undefined ? { error: error.error } : { error: error.error, details: error.details });
      } else {
        send(res, 500, { error: 'internal_error' });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    received,
    applied,
    lookups,
    holdBusinessLicence(creditCode: string, companyName: string) {
      businessLicences.set(creditCode, { identifier: `1.2.156.3005.2.11100000000013338W001.${creditCode}.001`, licenceType: 'business-licence', holderCode: creditCode, holderName: companyName, issuedBy: '北京市顺义区市场监督管理局' });
    },
    setDown(value: boolean) {
      down = value;
    },
    failNext(n: number) {
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`failNext expects a non-negative integer, got ${n}`);
      failures = n;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
