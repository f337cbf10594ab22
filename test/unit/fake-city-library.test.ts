import { request } from 'undici';
import { ISSUER, PERMIT_LICENCE_TYPE_CODE, electronicLicenceIdentifier, licenceMetadata, type LicenceMetadata } from '../../shared/elicence';
import { DEFAULT_LIBRARY_TOKEN, startFakeCityLibrary, type FakeCityLibrary, type LicenceEvent } from '../support/fake-city-library';

function metadata(version: number, serial = 'K7M3Q9X2HBNP'): LicenceMetadata {
  return licenceMetadata({
    identifier: electronicLicenceIdentifier({ typeCode: PERMIT_LICENCE_TYPE_CODE, issuerCreditCode: ISSUER.creditCode, serial, version }),
    number: serial,
    version,
    issuedAt: new Date('2025-04-01T10:00:00+08:00'),
    validFrom: new Date('2025-04-01T00:00:00+08:00'),
    validUntil: null,
    holderName: '北京顺义示例餐饮有限公司',
    holderCreditCode: '914403001922038216',
    status: 'VALID',
    relatedItems: [{ itemCode: 'FOOD-BUSINESS', itemName: '食品经营许可', departmentName: '顺义区市场监督管理局', licenceNumber: 'JY11113000000001' }],
  });
}

interface PushOptions {
  key?: string | null;
  token?: string | null;
  event?: LicenceEvent;
  body?: unknown;
  path?: string;
  method?: 'PUT' | 'POST' | 'GET';
}

async function push(library: FakeCityLibrary, meta: LicenceMetadata, options: PushOptions = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = options.token === undefined ? library.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const key = options.key === undefined ? `key-${meta.identifier}-${options.event ?? 'ISSUED'}` : options.key;
  if (key !== null) headers['idempotency-key'] = key;
  const method = options.method ?? 'PUT';
  const response = await request(`${library.url}${options.path ?? `/licences/${encodeURIComponent(meta.identifier)}`}`, {
    method,
    headers,
    body: method === 'GET' ? undefined : JSON.stringify(options.body ?? { ...meta, event: options.event ?? 'ISSUED' }),
  });
  const json = (await response.body.json()) as Record<string, unknown>;
  return { status: response.statusCode, headers: response.headers, json };
}

describe('fake city e-licence library', () => {
  let library: FakeCityLibrary;

  beforeEach(async () => {
    library = await startFakeCityLibrary();
  });

  afterEach(async () => {
    await library.close();
  });

  it('listens on 127.0.0.1 with the default token', () => {
    expect(library.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(library.token).toBe(DEFAULT_LIBRARY_TOKEN);
  });

  it('accepts a first push with 201 and records it', async () => {
    const meta = metadata(1);
    const res = await push(library, meta, { key: 'k1' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ identifier: meta.identifier, event: 'ISSUED', revision: 1 });
    expect(library.received).toHaveLength(1);
    expect(library.received[0]).toMatchObject({ key: 'k1', identifier: meta.identifier, body: { ...meta, event: 'ISSUED' } });
    expect(library.received[0]!.at).toBeInstanceOf(Date);
    expect(library.applied.get(meta.identifier)).toEqual([{ ...meta, event: 'ISSUED' }]);
  });

  it('answers later pushes of the same identifier with 200 and keeps the history in order', async () => {
    const meta = metadata(1);
    expect((await push(library, meta, { key: 'a', event: 'ISSUED' })).status).toBe(201);
    const voided = { ...meta, status: '作废' as const };
    const res = await push(library, voided, { key: 'b', event: 'VOIDED' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ identifier: meta.identifier, event: 'VOIDED', revision: 2 });
    expect(library.applied.get(meta.identifier)!.map((b) => [b.event, b.status])).toEqual([
      ['ISSUED', '有效'],
      ['VOIDED', '作废'],
    ]);
  });

  it('keeps separate histories per identifier', async () => {
    const v1 = metadata(1);
    const v2 = metadata(2);
    expect((await push(library, v1)).status).toBe(201);
    expect((await push(library, v2, { event: 'REISSUED' })).status).toBe(201);
    expect([...library.applied.keys()]).toEqual([v1.identifier, v2.identifier]);
  });

  describe('authorization', () => {
    it('rejects a missing token with 401', async () => {
      const res = await push(library, metadata(1), { token: null });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(library.received).toHaveLength(0);
      expect(library.applied.size).toBe(0);
    });

    it('rejects a wrong token with 401', async () => {
      expect((await push(library, metadata(1), { token: 'wrong' })).status).toBe(401);
      expect(library.received).toHaveLength(0);
    });

    it('uses the token given at start', async () => {
      const other = await startFakeCityLibrary({ token: 'other-token' });
      try {
        expect((await push(other, metadata(1), { token: DEFAULT_LIBRARY_TOKEN })).status).toBe(401);
        expect((await push(other, metadata(1), { token: 'other-token' })).status).toBe(201);
      } finally {
        await other.close();
      }
    });
  });

  describe('idempotency', () => {
    it('requires an Idempotency-Key (400)', async () => {
      const res = await push(library, metadata(1), { key: null });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'idempotency_key_required' });
      expect(library.received).toHaveLength(0);
    });

    it('replays the first response for a repeated key without a second effect', async () => {
      const meta = metadata(1);
      const first = await push(library, meta, { key: 'same' });
      const second = await push(library, meta, { key: 'same' });
      const third = await push(library, meta, { key: 'same' });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(third.status).toBe(201);
      expect(second.json).toEqual(first.json);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(library.received).toHaveLength(3);
      expect(library.received.map((r) => r.key)).toEqual(['same', 'same', 'same']);
      expect(library.applied.get(meta.identifier)).toHaveLength(1);
    });

    it('replays a 200 as a 200', async () => {
      const meta = metadata(1);
      await push(library, meta, { key: 'one' });
      const update = await push(library, meta, { key: 'two', event: 'REISSUED' });
      const replay = await push(library, meta, { key: 'two', event: 'REISSUED' });
      expect(update.status).toBe(200);
      expect(replay.status).toBe(200);
      expect(replay.json).toEqual(update.json);
      expect(library.applied.get(meta.identifier)).toHaveLength(2);
    });

    it('treats a different key for the same body as a new effect', async () => {
      const meta = metadata(1);
      await push(library, meta, { key: 'x' });
      expect((await push(library, meta, { key: 'y' })).status).toBe(200);
      expect(library.applied.get(meta.identifier)).toHaveLength(2);
    });

    it('rejects reuse of a key for a different body with 422', async () => {
      const meta = metadata(1);
      await push(library, meta, { key: 'reused' });
      const res = await push(library, meta, { key: 'reused', event: 'VOIDED' });
      expect(res.status).toBe(422);
      expect(res.json).toEqual({ error: 'idempotency_key_reused' });
      expect(library.received).toHaveLength(1);
      expect(library.applied.get(meta.identifier)).toHaveLength(1);
    });
  });

  describe('outage and failures', () => {
    it('answers 503 to everything while down, and recovers', async () => {
      const meta = metadata(1);
      library.setDown(true);
      expect((await push(library, meta)).status).toBe(503);
      expect((await push(library, meta, { token: null })).status).toBe(503);
      expect((await push(library, meta, { path: '/elsewhere' })).status).toBe(503);
      expect(library.received).toHaveLength(0);
      expect(library.applied.size).toBe(0);

      library.setDown(false);
      expect((await push(library, meta)).status).toBe(201);
      expect(library.applied.get(meta.identifier)).toHaveLength(1);
    });

    it('fails the next n requests with 500, then accepts', async () => {
      const meta = metadata(1);
      library.failNext(2);
      expect((await push(library, meta, { key: 'retry' })).status).toBe(500);
      expect((await push(library, meta, { key: 'retry' })).status).toBe(500);
      expect(library.received).toHaveLength(0);
      expect((await push(library, meta, { key: 'retry' })).status).toBe(201);
      expect(library.received).toHaveLength(1);
      expect(library.applied.get(meta.identifier)).toHaveLength(1);
    });

    it('does not use up failures while down', async () => {
      library.failNext(1);
      library.setDown(true);
      expect((await push(library, metadata(1))).status).toBe(503);
      library.setDown(false);
      expect((await push(library, metadata(1))).status).toBe(500);
      expect((await push(library, metadata(1))).status).toBe(201);
    });

    it('rejects a negative failure count', () => {
      expect(() => library.failNext(-1)).toThrow(RangeError);
    });
  });

  describe('request checks', () => {
    it('rejects an unknown event with 400', async () => {
      const meta = metadata(1);
      const res = await push(library, meta, { body: { ...meta, event: 'LOST' } });
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_event');
      expect(library.received).toHaveLength(0);
    });

    it('rejects a body that is not an object with 400', async () => {
      expect((await push(library, metadata(1), { body: [1, 2] })).status).toBe(400);
    });

    it('rejects metadata failing the schema with 422', async () => {
      const meta = metadata(1);
      const res = await push(library, meta, { body: { ...meta, holderCode: 'nope', event: 'ISSUED' } });
      expect(res.status).toBe(422);
      expect(res.json.error).toBe('invalid_metadata');
      expect(library.applied.size).toBe(0);
    });

    it('rejects a body whose identifier differs from the path with 422', async () => {
      const v1 = metadata(1);
      const v2 = metadata(2);
      const res = await push(library, v1, { body: { ...v2, event: 'ISSUED' } });
      expect(res.status).toBe(422);
      expect(res.json.error).toBe('identifier_mismatch');
    });

    it('answers 404 for other paths and 405 for other methods', async () => {
      expect((await push(library, metadata(1), { path: '/other' })).status).toBe(404);
      expect((await push(library, metadata(1), { method: 'POST' })).status).toBe(405);
      expect((await push(library, metadata(1), { method: 'GET' })).status).toBe(405);
    });
  });
});
