import { SignJWT } from 'jose';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'undici';
import { REPO_ROOT } from '../../shared/registry';
import { generateSigningKey } from '../../shared/keys';
import { newEvent, signEvent, type PlatformEvent } from '../../shared/events';
import { IDENTITY_HEADER, identityAudience, type Identity } from '../../shared/identity';
import { privateSigningKey } from '../../shared/keys';
import { serviceDatabase } from '../support/db';
import { caller, eventually, issuedPermit, ONE_ITEM, publishTestIndustries, acceptedApplication } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * No service can act as another, tried through the real processes with the
 * forged thing itself: identities the gateway did not sign (another key, no
 * `exp`, for another subgraph), and events a department sends about what it
 * does not own, or signs as someone else.
 */
describe('trust between services', () => {
  let t: TestPlatform;
  let as: ReturnType<typeof caller>;

  beforeAll(async () => {
    t = await startTestPlatform();
    as = caller(t.graphqlUrl, t.token);
    await publishTestIndustries(t.walk);
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('identities', () => {
    const ADMIN: Identity = { role: 'ADMIN', subject: 'mallory' };
    const query = JSON.stringify({ query: '{ applications { id values } }' });
    const send = async (service: string, header: string) => {
      const r = await request(`${t.platform.serviceUrls[service]}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: header }, body: query });
      return { status: r.statusCode, body: await r.body.text() };
    };
    const sign = async (key: Parameters<typeof privateSigningKey>[0], options: { audience?: string; exp?: string | null; issuer?: string } = {}) => {
      const { kid, key: signingKey } = await privateSigningKey(key, 'test');
      let jwt = new SignJWT({ ...ADMIN }).setProtectedHeader({ alg: 'EdDSA', kid }).setIssuer(options.issuer ?? 'yiye-gateway').setAudience(options.audience ?? identityAudience('applications')).setIssuedAt();
      if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? '60s');
      return jwt.sign(signingKey);
    };

    it("accepts the gateway's own signature for the subgraph it names", async () => {
      const genuine = await sign(t.secrets.identityKeys[0]);
      expect((await send('applications', genuine)).status).toBe(200);
    });

    it('refuses an ADMIN identity minted with any other key, even a department’s own', async () => {
      // What an operator of one department holds: its own event key. It signs nothing the others believe as an identity.
      const departmentKey = t.secrets.eventKeys['market-regulation'];
      for (const key of [departmentKey, await generateSigningKey(t.secrets.identityKeys[0].kid!)]) {
        const forged = await send('applications', await sign(key));
        expect(forged.status).toBe(401);
        expect(forged.body).not.toContain('values');
      }
    });

    it('refuses a header without exp, one that lives too long, and one from another issuer', async () => {
      expect((await send('applications', await sign(t.secrets.identityKeys[0], { exp: null }))).status).toBe(401);
      expect((await send('applications', await sign(t.secrets.identityKeys[0], { exp: '1h' }))).status).toBe(401);
      expect((await send('applications', await sign(t.secrets.identityKeys[0], { issuer: 'market-regulation' }))).status).toBe(401);
    });

    it('refuses a header made for one subgraph when replayed to another', async () => {
      const forApplications = await sign(t.secrets.identityKeys[0]);
      expect((await send('applications', forApplications)).status).toBe(200);
      for (const other of ['permit', 'market-regulation']) expect((await send(other, forApplications)).status).toBe(401);
    });
  });

  describe('events', () => {
    const deliver = async (service: string, event: PlatformEvent, signer: string | Parameters<typeof signEvent>[1]) => {
      const key = typeof signer === 'string' ? t.secrets.eventKeys[signer] : signer;
      const r = await request(`${t.platform.serviceUrls[service]}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: await signEvent(event, key) }) });
      return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
    };
    const ended = (licenceId: string, applicationId: string, departmentCode: string) =>
      newEvent('LicenceEnded', departmentCode, 'permit', { licenceId, applicationId, licenceType: 'FoodBusinessLicence', itemCode: 'MR-FOOD-BUSINESS', departmentCode, ending: 'REVOKED', reason: '伪造', endedAt: new Date().toISOString() });
    const permitStatus = async (id: string) => (await as<{ permit: { status: string } }>(t.walk.issuer(), 'query ($id: ID!) { permit(id: $id) { status } }', { id })).data!.permit.status;

    it('refuses a LicenceEnded from a department that did not issue the licence, and one signed with the wrong key', async () => {
      const { applicationId, permit, licences } = await issuedPermit(t.walk, ONE_ITEM.code);
      const licenceId = licences[0].licenceId;
      // Fire rescue, with its own genuine key, tries to end market regulation's licence.
      expect(await deliver('permit', ended(licenceId, applicationId, 'fire-rescue'), 'fire-rescue')).toMatchObject({ status: 422 });
      // Fire rescue claims to be market regulation: the signature is not market regulation's.
      expect(await deliver('permit', ended(licenceId, applicationId, 'market-regulation'), 'fire-rescue')).toMatchObject({ status: 401 });
      await new Promise((r) => setTimeout(r, 500));
      expect(await permitStatus(permit.id)).toBe('VALID');
      const live = await as<{ marketRegulation: { licence: { status: string } } }>(null, 'query ($id: ID!) { marketRegulation { licence(id: $id) { status } } }', { id: licenceId });
      expect(live.data!.marketRegulation.licence.status).toBe('VALID');
      // The owner's own event is taken.
      expect(await deliver('permit', ended(licenceId, applicationId, 'market-regulation'), 'market-regulation')).toEqual({ status: 200, body: { applied: true } });
      expect(await permitStatus(permit.id)).toBe('VOID');
    });

    it("refuses an ItemDecided from a department the item was not dispatched to", async () => {
      const app = await acceptedApplication(t.walk, ONE_ITEM.code);
      const forged = newEvent('ItemDecided', 'fire-rescue', 'applications', {
        applicationId: app.id,
        itemCode: 'MR-FOOD-BUSINESS',
        departmentCode: 'fire-rescue',
        decision: 'APPROVED',
        reasons: [],
        decidedAt: new Date().toISOString(),
        receivedAt: new Date().toISOString(),
        pauses: [],
        onCommitment: false,
        licenceId: 'lic-forged',
        licenceType: 'FoodBusinessLicence',
        round: 1,
      });
      expect(await deliver('applications', forged, 'fire-rescue')).toMatchObject({ status: 422 });
      const item = (await as<{ application: { items: { status: string }[] } }>(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { items { status } } }', { id: app.id })).data!.application.items[0];
      expect(item.status).toBe('DISPATCHED');
    });

    it('refuses an unknown event type, a malformed payload and a sender the contract does not allow', async () => {
      const unknown = { ...newEvent('PermitIssued', 'permit', 'applications', { applicationId: 'a', code: 'C', version: 1, permitId: 'p' }), type: 'PermitBurned' };
      expect(await deliver('applications', unknown, 'permit')).toMatchObject({ status: 422 });
      const malformed = { ...newEvent('PermitIssued', 'permit', 'applications', { applicationId: 'a', code: 'C', version: 1, permitId: 'p' }), payload: { applicationId: 42 } };
      expect(await deliver('applications', malformed, 'permit')).toMatchObject({ status: 422 });
      // Only the bureau dispatches items: a department cannot send another an item to decide.
      const dispatch = newEvent('ItemDispatched', 'fire-rescue', 'market-regulation', { applicationId: 'a', applicationNumber: 'n', itemCode: 'MR-FOOD-BUSINESS', holder: { companyName: 'x', creditCode: 'y' }, values: {}, dispatchedAt: new Date().toISOString() });
      expect(await deliver('market-regulation', dispatch, 'fire-rescue')).toMatchObject({ status: 422 });
    });

    it('parks an event its destination refuses, and later events to it still go', async () => {
      // A document in market regulation's database whose event applications will refuse (an item that is not its).
      const db = await serviceDatabase(t.platform, 'market-regulation');
      try {
        const bad = newEvent('ItemCorrectionRequested', 'market-regulation', 'applications', { applicationId: 'no-such-application', itemCode: 'MR-FOOD-BUSINESS', problems: ['x'], from: '2026-01-01', correctionId: 'bad#1#c1' }, 'poison-event');
        await db.db!.collection('outbox').insertOne({ _id: 'reviews/poison#1' as never, collection: 'reviews', docId: 'poison#1', queuedAt: new Date(0) });
        await db.db!.collection('reviews').insertOne({ _id: 'poison#1' as never, record: 'STEP', reviewId: 'poison', seq: 1, kind: 'CORRECTION_REQUESTED', _outbox: [bad] });
        await eventually('parked', async () => ((await db.db!.collection('dead_letters').findOne({ _id: 'poison-event' as never })) ? true : undefined));
        expect(await db.db!.collection('outbox').countDocuments({ _id: 'reviews/poison#1' as never })).toBe(0);
        // An operator sees it, and can send it again (here it is refused again, and parked again).
        const env = { ...process.env, MONGODB_URI: t.platform.options.mongoUri, DB_PREFIX: t.platform.options.dbPrefix };
        const listed = (await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/dead-letters.ts', 'market-regulation'], { cwd: REPO_ROOT, env })).stdout;
        expect(listed).toContain('poison-event');
        expect(listed).toContain('no application no-such-application');
        await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/dead-letters.ts', 'market-regulation', 'replay', 'poison-event'], { cwd: REPO_ROOT, env });
        await eventually('replayed and delivered', async () => ((await db.db!.collection('event_replays').countDocuments()) === 1 && (await db.db!.collection('outbox').countDocuments()) === 0 ? true : undefined));
      } finally {
        await db.close();
      }
      // Market regulation's next decision reaches applications as usual.
      const app = await acceptedApplication(t.walk, ONE_ITEM.code);
      await t.walk.decide('market-regulation', app.items[0].reviewId, { approve: true });
      await t.walk.waitUntilDecided(app.id);
    });
  });
});
