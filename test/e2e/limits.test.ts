import { request } from 'undici';
import { SignJWT } from 'jose';
import { sampleValues } from '../support/sample-values';
import { caller, freshBusiness, issuedPermit, ONE_ITEM, publishTestIndustries } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { problemsOf } from '../support/refusals';

/**
 * A public endpoint that cannot be knocked over, and input that cannot hide
 * anything, on a gateway in production mode: operation limits before
 * planning, text cleaned at the door, bounded errors, plain HTTP errors.
 */
describe('limits and input hygiene at the gateway (production mode)', () => {
  let t: TestPlatform;
  let as: ReturnType<typeof caller>;
  let code: string;
  const post = async (body: unknown, token?: string) => {
    const started = Date.now();
    const r = await request(`${t.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await r.body.text();
    return { status: r.statusCode, text, json: JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }, ms: Date.now() - started };
  };

  beforeAll(async () => {
    t = await startTestPlatform({ NODE_ENV: 'production' });
    as = caller(t.graphqlUrl, t.token);
    await publishTestIndustries(t.walk);
    code = (await issuedPermit(t.walk, ONE_ITEM.code)).permit.code;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('refuses the abusive operations within a second, while scans by other clients keep answering', async () => {
    const aliases = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: scanPermit(code: "${code}") { qrPngBase64 }`).join(' ')} }`;
    expect(aliases.length).toBeGreaterThan(30_000);
    const fragments = Array.from({ length: 14 }, (_, i) => `fragment F${i} on Permit { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const fanOut = `{ scanPermit(code: "${code}") { ...F0 } }\n${fragments}\nfragment F14 on Permit { code }`;
    const deep = `{ scanPermit(code: "${code}") { currentVersion { currentVersion { currentVersion { currentVersion { currentVersion { currentVersion { currentVersion { currentVersion { code } } } } } } } } } }`;
    const tokens = `{ ${'__typename '.repeat(3000)} }`;
    const costly = `{ ${Array.from({ length: 4 }, (_, i) => `q${i}: scanPermit(code: "${code}") { qrPngBase64 }`).join(' ')} }`;

    // Scans by other clients all through the attack.
    let attacking = true;
    const scans: number[] = [];
    const scanner = (async () => {
      while (attacking) {
        const started = Date.now();
        const scanned = await t.walk.scan(code);
        expect(scanned?.code).toBe(code);
        scans.push(Date.now() - started);
      }
    })();
    try {
      const refused = await Promise.all([
        ...Array.from({ length: 10 }, () => post({ query: aliases })),
        ...Array.from({ length: 10 }, () => post({ query: fanOut })),
        post({ query: deep }),
        post({ query: tokens }),
        post({ query: costly }),
      ]);
      for (const [i, r] of refused.entries()) {
        expect({ i, status: r.status }).toEqual({ i, status: 400 });
        expect(['QUERY_TOO_COMPLEX', 'QUERY_TOO_LARGE', 'QUERY_TOO_COSTLY']).toContain(r.json.errors?.[0].extensions?.code);
        expect(r.json.errors?.[0].extensions?.messageZh).toMatch(/[\u4e00-\u9fff]/);
        expect(r.ms).toBeLessThan(1000);
      }
      expect(refused[10].json.errors![0].extensions!.limit).toBe('expandedFields'); // the fan-out: 14 fragments, 2^14 fields
      expect(refused[20].json.errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX'); // too deep
      expect(refused[22].json.errors![0].extensions!.code).toBe('QUERY_TOO_COSTLY'); // four QR images
    } finally {
      attacking = false;
      await scanner;
    }
    expect(scans.length).toBeGreaterThan(0);
    // The permit service itself was never asked for a thousand images: it still answers a scan at once.
    expect((await t.walk.scan(code))?.code).toBe(code);
  });

  it('gives staff higher limits than the public', async () => {
    const twelve = `{ ${Array.from({ length: 12 }, (_, i) => `a${i}: industries { code }`).join(' ')} }`;
    expect((await post({ query: twelve })).json.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect((await as(t.walk.clerk(), twelve)).errors).toBeUndefined();
  });

  it('checks each operation text once per role, yet its cost and its variables on every request', async () => {
    // The same text refused for the public twice, and answered for staff (who have higher limits) in between.
    const twelve = `{ ${Array.from({ length: 12 }, (_, i) => `b${i}: industries { code }`).join(' ')} }`;
    expect((await post({ query: twelve })).json.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect((await as(t.walk.clerk(), twelve)).errors).toBeUndefined();
    expect((await post({ query: twelve })).json.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    // One text whose cost a variable decides: four QR images only when $images is true.
    const images = `query ($c: ID!, $images: Boolean!) { ${Array.from({ length: 4 }, (_, i) => `q${i}: scanPermit(code: $c) { code qrPngBase64 @include(if: $images) }`).join(' ')} }`;
    for (const expected of [false, true, false]) {
      const answer = await post({ query: images, variables: { c: code, images: expected } });
      if (expected) expect(answer.json.errors?.[0].extensions?.code).toBe('QUERY_TOO_COSTLY');
      else expect(answer.json.errors).toBeUndefined();
    }
    // Variables are cleaned on every request: the same text with a control character in its variable is refused.
    const scan = 'query ($c: ID!) { scanPermit(code: $c) { code } }';
    expect((await post({ query: scan, variables: { c: code } })).json.errors).toBeUndefined();
    expect((await post({ query: scan, variables: { c: `${code}\u0007` } })).json.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'variables.c' });
  });

  it('keeps introspection and field suggestions from the anonymous public in production', async () => {
    const introspection = await post({ query: '{ __schema { mutationType { fields { name } } } }' });
    expect(introspection.status).toBe(400);
    expect(introspection.json.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(introspection.text).not.toContain('loadCatalogueFromRepository');
    // Signed-in staff may look at the schema (GraphiQL).
    expect((await as(t.walk.admin(), '{ __schema { mutationType { name } } }')).errors).toBeUndefined();
    const typo = await post({ query: '{ industrie { code } }' });
    expect(typo.text).not.toContain('Did you mean');
    expect(typo.text).not.toContain('industries');
  });

  it('refuses control and format characters with the field path, and stores names NFC-normalised', async () => {
    const form = await t.walk.form(ONE_ITEM.code, {});
    const fields = form.sections.flatMap((s) => s.fields);
    const SUBMIT = 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id holderName } }';
    for (const bad of ['顺义\u202E店', '顺义\u0000店', '顺义\u200B店', '顺义\uFEFF店']) {
      const business = { ...freshBusiness(), companyName: bad };
      const r = await as(t.walk.clerk(), SUBMIT, { input: { industryCode: ONE_ITEM.code, answers: {}, values: sampleValues(fields, business) } });
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(problemsOf(r)[0]).toMatchObject({ code: 'FORBIDDEN_CHARACTER', path: expect.stringMatching(/^variables\.input\.values\./) });
    }
    // "é" typed as e + combining accent is stored as the one composed character.
    const business = { ...freshBusiness(), companyName: 'Cafe\u0301顺义店' };
    const r = await as<{ submitApplication: { holderName: string } }>(t.walk.clerk(), SUBMIT, { input: { industryCode: ONE_ITEM.code, answers: {}, values: sampleValues(fields, business) } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.submitApplication.holderName).toBe('Caf\u00e9顺义店');
  });

  it('answers a 5 MB bad input with a small error: a bounded list of problems and their count', async () => {
    const answers = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`unknownQuestion${i}`, 'x'.repeat(80)]));
    const r = await post({ query: 'query ($a: JSON) { guide(industryCode: "restaurant", answers: $a) { committedDays } }', variables: { a: answers } });
    expect(JSON.stringify({ variables: { a: answers } }).length).toBeGreaterThan(5_000_000);
    expect(r.text.length).toBeLessThan(20_000);
    expect(r.json.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((r.json.errors?.[0].extensions?.problems as unknown[]).length).toBeLessThanOrEqual(20);
    expect(r.json.errors?.[0].extensions?.problemCount).toBeGreaterThan(20);
  });

  it('answers a malformed path with a plain error, never a stack trace or a path on the server', async () => {
    for (const path of ['/scan/%', '/permits/%E0%A4%A/qr.png', '/guides/%zz', '/no/such/route']) {
      const r = await request(`${t.gatewayUrl}${path}`);
      const text = await r.body.text();
      expect([400, 404]).toContain(r.statusCode);
      expect(text).not.toMatch(/at \w+|node_modules|\/work\/|Error:/);
    }
  });

  it('refuses caller tokens without exp, or for another issuer or audience', async () => {
    const key = new TextEncoder().encode(t.secrets.jwt);
    const token = (build: (jwt: SignJWT) => SignJWT) => build(new SignJWT({ role: 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setIssuedAt()).sign(key);
    const forever = await token((j) => j.setIssuer('yiye-dev-idp').setAudience('yiye-platform'));
    const otherIssuer = await token((j) => j.setIssuer('evil-idp').setAudience('yiye-platform').setExpirationTime('1h'));
    const otherAudience = await token((j) => j.setIssuer('yiye-dev-idp').setAudience('another-platform').setExpirationTime('1h'));
    for (const bad of [forever, otherIssuer, otherAudience]) {
      const r = await post({ query: '{ catalogueEditions { id } }' }, bad);
      expect(r.status).toBe(401);
      expect(r.json.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
