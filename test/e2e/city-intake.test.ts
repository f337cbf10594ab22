import { generateSigningKey, publicJwk } from '../../shared/keys';
import type { Identity } from '../../shared/identity';
import { CITY_MATTERS, cityApplicationId } from '../../subgraphs/applications/city-intake';
import { eventually, graphql } from '../support/client';
import { startFakeCityPlatform, type FakeCityPlatform } from '../support/fake-city-platform';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { sampleBusiness, sampleValues } from '../support/sample-values';

/**
 * 北京市统一申办受理平台（京通） on real processes: the fake city platform (a
 * real HTTP server with its own key) hands applications over to the
 * applications service; they are answered with our number, are idempotent by
 * the city's reference, refuse what is forged or malformed without writing,
 * and every later change of state is called back to the city, signed with our
 * key, even across the city's outage.
 */
describe('the city platform hands applications over (京通)', () => {
  let t: TestPlatform;
  let city: FakeCityPlatform;
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const matterOf = (industry: string) => [...CITY_MATTERS].find(([, code]) => code === industry)![0];
  const STORE = matterOf('convenience-store');
  const ANSWERS = { sellsTobacco: true, sellsAlcohol: false, sellsMedicalDevices: false, sellsPublications: false, areaOver300: false };
  let formFields: Parameters<typeof sampleValues>[0];
  let serial = 0;

  /** A hand-over as the city makes it: the business 京通 authenticated, and our form's answers and values. */
  const handOver = (seed: number, overrides: Record<string, unknown> = {}) => {
    const business = sampleBusiness(seed);
    const values = sampleValues(formFields, business);
    return {
      referenceNumber: `JT-20261203-${String(seed).padStart(6, '0')}`,
      matterCode: STORE,
      submittedAt: new Date().toISOString(),
      applicant: { creditCode: business.creditCode, name: business.companyName },
      answers: ANSWERS,
      values,
      ...overrides,
    };
  };
  const APPLICATION = 'query ($id: ID!) { application(id: $id) { id number status channel cityReference creditCode holderName industryCode values } }';
  const application = async (id: string) =>
    (await as<{ application: { id: string; number: string; status: string; channel: string; cityReference: string | null; creditCode: string; holderName: string; values: Record<string, unknown> } | null }>(t.walk.clerk(), APPLICATION, { id })).data!.application;

  beforeAll(async () => {
    city = await startFakeCityPlatform();
    const callbackKey = await generateSigningKey('yiye-city-callback-test');
    t = await startTestPlatform({
      CITY_PLATFORM_KEYS: city.publicKeys,
      CITY_PLATFORM_ISSUER: city.issuer,
      CITY_CALLBACK_URL: city.callbackUrl,
      CITY_CALLBACK_SIGNING_KEY: JSON.stringify(callbackKey),
    });
    city.connect(t.platform.serviceUrls.applications);
    formFields = (await t.walk.form('convenience-store', ANSWERS)).sections.flatMap((s) => s.fields);
    serial = 700000 + Math.floor(Math.random() * 90000);
  });
  afterAll(async () => {
    await t?.stop();
    await city?.close();
  });

  it('files a hand-over under channel CITY, mapped to our industry and form, and answers with our application number', async () => {
    const given = handOver(++serial);
    const { status, body } = await city.handOver(given);
    expect(status).toBe(201);
    expect(body).toEqual(expect.objectContaining({ referenceNumber: given.referenceNumber, applicationNumber: expect.stringMatching(/^SY-\d{8}-[0-9A-F]{6}$/), status: 'SUBMITTED' }));
    const app = await application(String(body.applicationId));
    expect(app).toEqual(
      expect.objectContaining({ number: body.applicationNumber, channel: 'CITY', cityReference: given.referenceNumber, status: 'SUBMITTED', industryCode: 'convenience-store', creditCode: given.applicant.creditCode, holderName: given.applicant.name }),
    );
    // The applicant sees it as theirs, as if made online.
    const own = await as<{ application: { id: string } | null }>(t.walk.applicant(given.applicant.creditCode), 'query ($id: ID!) { application(id: $id) { id } }', { id: body.applicationId });
    expect(own.data!.application?.id).toBe(body.applicationId);
  });

  it('fills the applicant fields the form asks from the business 京通 authenticated, and refuses values that say otherwise', async () => {
    const given = handOver(++serial);
    const { creditCode: _c, companyName: _n, ...rest } = given.values;
    const filled = await city.handOver({ ...given, values: rest });
    expect(filled.status).toBe(201);
    expect((await application(String(filled.body.applicationId)))!.values.creditCode).toBe(given.applicant.creditCode);

    const other = handOver(++serial);
    const mismatch = await city.handOver({ ...other, values: { ...other.values, creditCode: sampleBusiness(serial + 5000).creditCode } });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.problems).toEqual([expect.objectContaining({ path: 'handOver.values.creditCode', code: 'APPLICANT_MISMATCH' })]);
    expect(await application(cityApplicationId(other.referenceNumber))).toBeNull();
  });

  it('maps onto an industry whose items keep their own forms (no merged form yet): each item\'s applicant fields are filled', async () => {
    const industry = await t.walk.industry('escape-room');
    const answers = Object.fromEntries(industry!.questions.map((q) => [q.key, q.type === 'BOOLEAN' ? false : q.options![0].value]));
    const form = await t.walk.form('escape-room', answers);
    const fields = form.sections.flatMap((s) => s.fields);
    const business = sampleBusiness(++serial);
    const values = Object.fromEntries(Object.entries(sampleValues(fields, business)).filter(([key]) => !/:(creditCode|companyName)$/.test(key)));
    const given = { ...handOver(serial), matterCode: matterOf('escape-room'), answers, values };
    const { status, body } = await city.handOver(given);
    expect({ status, problems: body.problems }).toEqual({ status: 201, problems: undefined });
    const app = (await application(String(body.applicationId)))!;
    const creditKeys = fields.map((f) => f.key).filter((key) => key.endsWith(':creditCode'));
    expect(creditKeys.length).toBeGreaterThan(0);
    for (const key of creditKeys) expect(app.values[key]).toBe(business.creditCode);
  });

  it('is idempotent by reference number: a repeat gets the same answer, other content under the same reference is refused, nothing changes', async () => {
    const given = handOver(++serial);
    const first = await city.handOver(given);
    expect(first.status).toBe(201);
    // The same content signed again (a new token, a new signing time): the same application.
    const again = await city.handOver(given);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const changed = await city.handOver({ ...given, values: { ...given.values, contactPhone: '13900000000' } });
    expect(changed.status).toBe(409);
    expect(changed.body).toEqual(expect.objectContaining({ code: 'DUPLICATE_REFERENCE', messageZh: expect.stringContaining(given.referenceNumber), messageEn: expect.any(String) }));
    expect(changed.body.problems).toEqual([expect.objectContaining({ path: 'handOver.referenceNumber' })]);
    expect((await application(String(first.body.applicationId)))!.values.contactPhone).toBe(given.values.contactPhone);
  });

  it('files one application when the city sends the same hand-over five times at once', async () => {
    const given = handOver(++serial);
    const answers = await Promise.all(Array.from({ length: 5 }, () => city.handOver(given)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.applicationNumber)).size).toBe(1);
    const listed = await as<{ applications: { id: string }[] }>(t.walk.applicant(given.applicant.creditCode), '{ applications { id } }');
    expect(listed.data!.applications).toEqual([{ id: answers[0].body.applicationId }]);
  });

  it('refuses a hand-over not validly signed by the city platform, and writes nothing', async () => {
    const forger = await generateSigningKey('jingtong-test-1'); // the city's key id, someone else's key
    const attempts = [
      ['signed by another key', (given: Record<string, unknown>) => city.handOver(given, { signWith: forger })],
      ['altered after signing', (given: Record<string, unknown>) =>
        city.handOver(given, {
          tamper: (token) => {
            const [header, payload, signature] = token.split('.');
            const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
            claims.handOver.applicant.name = '冒名公司';
            return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
          },
        })],
      ['from another issuer', (given: Record<string, unknown>) => city.handOver(given, { issuer: 'some-other-platform' })],
      ['addressed to another service', (given: Record<string, unknown>) => city.handOver(given, { audience: 'yiye-permit' })],
      ['not signed at all', (given: Record<string, unknown>) => city.post({ token: Buffer.from(JSON.stringify({ handOver: given })).toString('base64url') })],
    ] as const;
    for (const [what, send] of attempts) {
      const given = handOver(++serial);
      const { status, body } = await send(given);
      expect({ what, status, code: body.code }).toEqual({ what, status: 401, code: 'BAD_SIGNATURE' });
      expect(body.messageZh).toEqual(expect.any(String));
      expect(await application(cityApplicationId(given.referenceNumber))).toBeNull();
    }
    const empty = await city.post({});
    expect(empty.status).toBe(400);
  });

  it('refuses a malformed hand-over naming each field, and writes nothing', async () => {
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['an unknown matter code', { matterCode: '110113-YYYZ-999' }, 'handOver.matterCode', 'UNKNOWN_MATTER'],
      ['no reference number', { referenceNumber: undefined }, 'handOver.referenceNumber', 'REQUIRED'],
      ['a bad reference number', { referenceNumber: 'JT 1' }, 'handOver.referenceNumber', 'INVALID_FORMAT'],
      ['an unanswered scenario question', { answers: {} }, 'handOver.answers.areaOver300', 'REQUIRED'],
      ['a name hiding a right-to-left override', { applicant: { creditCode: sampleBusiness(1).creditCode, name: '示例\u202E公司' } }, 'handOver.applicant.name', 'FORBIDDEN_CHARACTER'],
      ['a commitment for an item not applied for', { commitments: ['FR-FIRE-CHECK'] }, 'handOver.commitments.0', 'UNKNOWN_ITEM'],
    ];
    for (const [what, overrides, path, code] of cases) {
      const given = handOver(++serial, overrides);
      const { status, body } = await city.handOver(given);
      expect({ what, status, code: body.code }).toEqual({ what, status: 422, code: 'BAD_USER_INPUT' });
      expect({ what, problems: body.problems }).toEqual({ what, problems: expect.arrayContaining([expect.objectContaining({ path, code, messageZh: expect.any(String), messageEn: expect.any(String) })]) });
      if (typeof given.referenceNumber === 'string') expect(await application(cityApplicationId(given.referenceNumber))).toBeNull();
    }
    // A form value out of its rules: the path is the form's field under handOver.values.
    const given = handOver(++serial);
    const { status, body } = await city.handOver({ ...given, values: { ...given.values, contactPhone: '12' } });
    expect(status).toBe(422);
    expect(body.problems).toEqual([expect.objectContaining({ path: 'handOver.values.contactPhone' })]);
  });

  it('calls each change of state back to the city, signed with our key, and none is lost while the city is down', async () => {
    const given = handOver(++serial);
    const { body } = await city.handOver(given);
    const id = String(body.applicationId);
    const of = () => city.callbacks.filter((c) => c.callback.referenceNumber === given.referenceNumber).map((c) => c.callback);

    city.setDown(true);
    const accepted = await t.walk.accept(id);
    const tried = city.requests;
    await eventually('a callback tried while the city is down', async () => (city.requests > tried ? true : undefined));
    expect(of()).toEqual([]);
    city.setDown(false);
    await eventually('the acceptance called back after the outage', async () => (of().some((c) => c.status === 'ACCEPTED') ? true : undefined));

    for (const item of accepted.items) {
      await t.walk.waitForReview(item.departmentCode, item.reviewId);
      await t.walk.decide(item.departmentCode, item.reviewId, { approve: true });
    }
    await t.walk.waitUntilDecided(id);
    const permit = await t.walk.issuePermit(id);
    // Callbacks may arrive out of order (each is retried on its own); their sequence orders them.
    // One callback for the acceptance, one per item decided (the store's food and tobacco licences), one for the permit.
    const expected = ['ACCEPTED', ...accepted.items.map(() => 'ITEM_APPROVED'), 'PERMIT_ISSUED'];
    expect(expected).toHaveLength(4);
    const all = (await eventually('every change called back', async () => (of().length >= expected.length ? of() : undefined))).sort((a, b) => a.sequence - b.sequence);
    expect(all.map((c) => c.status)).toEqual(expected);
    expect(all.map((c) => c.sequence)).toEqual(expected.map((_, i) => i + 1));
    for (const c of all) expect(c).toEqual(expect.objectContaining({ applicationId: id, applicationNumber: body.applicationNumber, titleZh: expect.any(String) }));
    const issued = all[all.length - 1];
    expect(issued.titleZh).toContain('综合许可凭证');
    expect(JSON.stringify(issued)).toContain(permit.code);
    expect(city.forged).toBe(0);
    // An application made at the window is not the city's: nothing is called back for it.
    const before = city.callbacks.length;
    const window = await t.walk.submit(t.walk.clerk(), 'convenience-store', ANSWERS, sampleValues(formFields, sampleBusiness(++serial)));
    await t.walk.accept(window.id);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(city.callbacks.length).toBe(before);
  });

  it('publishes the public half of the callback key, never the private one', async () => {
    const response = await fetch(`${t.platform.serviceUrls.applications}/city/keys`);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual(expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: 'yiye-city-callback-test' }));
    expect(keys[0].d).toBeUndefined();
    expect(publicJwk(keys[0] as never)).toEqual(keys[0]);
  });
});
