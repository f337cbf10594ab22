import { request } from 'undici';
import { generateSigningKey } from '../../shared/keys';
import { newEvent, signEvent } from '../../shared/events';
import { eventually, graphql } from '../support/client';
import { sampleBusiness, sampleValues } from '../support/sample-values';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/** The whole reform path through the real gateway, real subgraphs over HTTP and the real database. */
describe('the 一业一证 path, end to end', () => {
  let t: TestPlatform;
  let voidedPermit: { permitId: string; licenceId: string; applicationId: string } | undefined;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers health checks, and /readyz reports every subgraph', async () => {
    const health = await request(`${t.gatewayUrl}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.text();
    const ready = await request(`${t.gatewayUrl}/readyz`);
    const body = (await ready.body.json()) as { status: string; subgraphs: Record<string, string> };
    expect(ready.statusCode).toBe(200);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.subgraphs)).toEqual(expect.arrayContaining(['applications', 'permit', 'market-regulation']));
    expect(Object.values(body.subgraphs).every((state) => state === 'ready')).toBe(true);
  });

  it('serves GraphiQL from the gateway itself, with nothing loaded from elsewhere', async () => {
    const page = await request(`${t.gatewayUrl}/graphiql`);
    const html = await page.body.text();
    expect(page.statusCode).toBe(200);
    expect(html).toContain('/graphql');
    expect(html).not.toMatch(/<script[^>]+src=["']?https?:/i);
    expect(html).not.toMatch(/<link[^>]+href=["']?https?:/i);
  });

  it('lists the starter catalogue with its departments', async () => {
    const result = await graphql<{ industries: { code: string; rolloutState: string; items: { item: { departmentCode: string } }[] }[] }>(
      t.graphqlUrl,
      '{ industries { code rolloutState items { item { departmentCode } } } }',
    );
    const codes = result.data!.industries.map((i) => i.code);
    expect(codes).toEqual(expect.arrayContaining(['restaurant', 'convenience-store', 'pharmacy', 'hotel', 'ktv']));
    const departments = new Set(result.data!.industries.flatMap((i) => i.items.map((x) => x.item.departmentCode)));
    expect(departments.size).toBeGreaterThanOrEqual(5);
  });

  it('guides every case without answers, and only the applicable items with them', async () => {
    const all = await t.walk.guide('restaurant', null);
    const withSewer = await t.walk.guide('restaurant', { ownSewerConnection: true });
    const without = await t.walk.guide('restaurant', { ownSewerConnection: false });
    expect(all.items.map((i) => i.code)).toContain('WA-DRAINAGE');
    expect(withSewer.items.map((i) => i.code)).toContain('WA-DRAINAGE');
    expect(without.items.map((i) => i.code)).not.toContain('WA-DRAINAGE');
    expect(without.items.map((i) => i.code)).toEqual(['MR-FOOD-BUSINESS', 'FR-FIRE-CHECK']);
  });

  it('asks each shared element once in the merged form', async () => {
    const form = await t.walk.form('restaurant', { ownSewerConnection: true });
    const keys = form.sections.flatMap((s) => s.fields.map((f) => f.key));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k === 'creditCode')).toHaveLength(1);
    expect(form.itemCodes).toHaveLength(3);
  });

  it('walks submit → accept → decide → issue → scan → revoke → void', async () => {
    const answers = { ownSewerConnection: true };
    const form = await t.walk.form('restaurant', answers);
    const fields = form.sections.flatMap((s) => s.fields);

    // Online by the applicant, and at the window by a clerk: one kind of record, marked by channel.
    const business = sampleBusiness(101);
    const online = await t.walk.submit(t.walk.applicant(business.creditCode), 'restaurant', answers, sampleValues(fields, business));
    expect(online).toMatchObject({ status: 'SUBMITTED', channel: 'ONLINE', submittedByClerk: null, creditCode: business.creditCode });
    const walkIn = sampleBusiness(102);
    const atWindow = await t.walk.submit(t.walk.clerk(), 'restaurant', answers, sampleValues(fields, walkIn));
    expect(atWindow).toMatchObject({ status: 'SUBMITTED', channel: 'WINDOW', submittedByClerk: 'clerk-window-01' });

    // The applicant sees their own application, not someone else's.
    expect(await t.walk.application(online.id, t.walk.applicant(business.creditCode))).not.toBeNull();
    expect(await t.walk.application(atWindow.id, t.walk.applicant(business.creditCode))).toBeNull();

    // Accepting dispatches each item to its department.
    const accepted = await t.walk.accept(online.id);
    expect(accepted.status).toBe('ACCEPTED');
    expect(accepted.items.map((i) => [i.itemCode, i.departmentCode, i.status])).toEqual([
      ['MR-FOOD-BUSINESS', 'market-regulation', 'DISPATCHED'],
      ['FR-FIRE-CHECK', 'fire-rescue', 'DISPATCHED'],
      ['WA-DRAINAGE', 'water', 'DISPATCHED'],
    ]);

    // Each department decides its own item; approval issues its licence.
    const [food, fire, drainage] = accepted.items;
    for (const item of accepted.items) await t.walk.waitForReview(item.departmentCode, item.reviewId);
    const foodDecision = await t.walk.decide(food.departmentCode, food.reviewId, { approve: true });
    expect(foodDecision.state).toBe('APPROVED');
    expect(foodDecision.licence).toMatchObject({ status: 'VALID' });
    expect((await t.walk.decide(fire.departmentCode, fire.reviewId, { approve: true })).state).toBe('APPROVED');
    const denied = await t.walk.decide(drainage.departmentCode, drainage.reviewId, { approve: false, reasons: ['预处理设施不符合要求'] });
    expect(denied).toMatchObject({ state: 'DENIED', licence: null });

    // The decisions reach the application as events.
    const decided = await t.walk.waitUntilDecided(online.id);
    expect(decided.items.map((i) => i.status)).toEqual(['APPROVED', 'APPROVED', 'DENIED']);
    expect(decided.items[0].licenceId).toBe(foodDecision.licence!.id);

    // The bureau issues the permit, noting the item not permitted.
    const permit = await t.walk.issuePermit(online.id);
    expect(permit.status).toBe('VALID');
    // The QR carries the code type, the issuer, the generation time, the key and an Ed25519 signature.
    expect(permit.scanUrl).toMatch(new RegExp(`^${t.documentsUrl}/scan/${permit.code}\\?t=ZHXKPZ&i=110113&g=\\d+&k=[^&]+&s=[A-Za-z0-9_-]{86}$`));

    // Scanning: face information, masked personal data, each licence's live state from its department.
    const scanned = (await t.walk.scan(permit.code))!;
    expect(scanned.holderName).toBe(business.companyName);
    expect(scanned.legalRepresentative).toBe('张**');
    expect(scanned.items.map((i) => [i.itemCode, i.permitted, i.licence?.status ?? null])).toEqual([
      ['MR-FOOD-BUSINESS', true, 'VALID'],
      ['FR-FIRE-CHECK', true, 'VALID'],
      ['WA-DRAINAGE', false, null],
    ]);
    expect(scanned.overallState).toBe('VALID_WITH_NOTED_ITEMS');
    expect(scanned.items[0].licence!.licenceNumber).toMatch(/^MR-FOOD-BUSINESS-\d{8}-/);

    // The holder's own view is not masked.
    const own = await graphql<{ permit: { legalRepresentative: string } }>(
      t.graphqlUrl,
      'query ($id: ID!) { permit(id: $id) { legalRepresentative } }',
      { id: permit.id },
      await t.token(t.walk.applicant(business.creditCode)),
    );
    expect(own.data!.permit.legalRepresentative).toBe('张三丰');

    // The QR code (PNG and SVG) and the scan page, served by the gateway.
    const png = await request(`${t.documentsUrl}/permits/${permit.code}/qr.png`);
    const pngBytes = Buffer.from(await png.body.arrayBuffer());
    expect(png.statusCode).toBe(200);
    expect(pngBytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const svg = await request(`${t.documentsUrl}/permits/${permit.code}/qr.svg`);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(await svg.body.text()).toContain('<svg');
    const page = await request(permit.scanUrl);
    const html = await page.body.text();
    expect(page.statusCode).toBe(200);
    expect(html).toContain('data-state="VALID_WITH_NOTED_ITEMS"');
    expect(html).toContain('data-result="AUTHENTIC"');
    expect(html).toContain(business.companyName);
    expect(html).not.toContain('张三丰');

    // A department revokes its licence: the permit becomes void, and the next scan says so.
    const ended = await t.walk.endLicence(food.departmentCode, food.licenceId ?? decided.items[0].licenceId!, 'REVOKED', '严重违法');
    expect(ended.status).toBe('REVOKED');
    const voided = await eventually('permit void', async () => {
      const s = (await t.walk.scan(permit.code))!;
      return s.status === 'VOID' ? s : undefined;
    });
    expect(voided.voidReason).toContain('吊销');
    expect(voided.items[0].licence!.status).toBe('REVOKED');
    expect(voided.overallState).toBe('VOID');
    const voidPage = await (await request(permit.scanUrl)).body.text();
    expect(voidPage).toContain('data-state="VOID"');
    voidedPermit = { permitId: permit.id, licenceId: ended.id, applicationId: decided.id };
  });

  it('applies a redelivered event once: the second delivery is acknowledged and changes nothing', async () => {
    expect(voidedPermit).toBeDefined();
    const history = async () => {
      const r = await graphql<{ permit: { status: string; history: { action: string }[] } }>(
        t.graphqlUrl,
        'query ($id: ID!) { permit(id: $id) { status history { action } } }',
        { id: voidedPermit!.permitId },
        await t.token(t.walk.issuer()),
      );
      return r.data!.permit;
    };
    const before = await history();
    expect(before.history.map((h) => h.action)).toEqual(['ISSUED', 'VOIDED']);
    const event = newEvent('LicenceEnded', 'market-regulation', 'permit', {
      licenceId: voidedPermit!.licenceId,
      applicationId: voidedPermit!.applicationId,
      licenceType: 'FoodBusinessLicence',
      itemCode: 'MR-FOOD-BUSINESS',
      departmentCode: 'market-regulation',
      ending: 'REVOKED',
      reason: 'test',
      endedAt: new Date().toISOString(),
    });
    const token = await signEvent(event, t.secrets.eventKeys['market-regulation']);
    const post = async () => {
      const r = await request(`${t.platform.serviceUrls.permit}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
    };
    expect(await post()).toEqual({ status: 200, body: { applied: true } });
    expect(await post()).toEqual({ status: 200, body: { duplicate: true } });
    // Neither the fresh event for an already-void permit nor its redelivery adds a second voiding.
    expect(await history()).toEqual(before);
  });

  it("refuses an event not signed with its sender's key", async () => {
    const forger = await generateSigningKey('market-regulation-forged');
    const token = await signEvent(
      newEvent('LicenceEnded', 'market-regulation', 'permit', { licenceId: 'x', applicationId: 'y', licenceType: 'FoodBusinessLicence', itemCode: 'MR-FOOD-BUSINESS', departmentCode: 'market-regulation', ending: 'REVOKED', reason: 'x', endedAt: new Date().toISOString() }),
      forger,
    );
    const r = await request(`${t.platform.serviceUrls.permit}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(r.statusCode).toBe(401);
    await r.body.text();
  });
});
