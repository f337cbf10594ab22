import { request } from 'undici';
import { databaseCommands, waitForQuiet } from '../support/metrics';
import { sampleValues } from '../support/sample-values';
import { freshBusiness, ONE_ITEM, publishTestIndustries, readyApplication, trials } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * A seeded fuzz of the public and applicant operations: every case is a valid
 * call with one thing made wrong (a wrong type, a missing or unknown field, a
 * number out of range, a hidden character, a huge string, an operator object
 * where text belongs, someone else's or no record, broken syntax). Each must be
 * refused cleanly: no HTTP 5xx, every error with a code, no stack trace or
 * server path, and not one write anywhere.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const CASES = Number(process.env.FUZZ_CASES ?? 2400);

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)], int: (n: number) => Math.floor(next() * n) };
}

const NASTY: unknown[] = [
  null,
  '',
  ' ',
  '\u0000',
  '顺义\u202E店',
  '\u200B',
  'x'.repeat(100_000),
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  1.5,
  true,
  [],
  [[[[[]]]]],
  {},
  { $gt: '' },
  { $where: 'sleep(1000)' },
  '{"$ne": null}',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '1970-13-45',
  'NaN',
  '🙂'.repeat(1000),
];

describe('fuzz: malformed input to the public and applicant operations', () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform();
    await publishTestIndustries(t.walk);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it(`refuses ${CASES} malformed inputs cleanly, writing nothing (seed ${SEED})`, async () => {
    const business = freshBusiness();
    const other = freshBusiness();
    const applicant = t.walk.applicant(business.creditCode);
    const mine = await readyApplication(t.walk, ONE_ITEM.code, business);
    const form = await t.walk.form(ONE_ITEM.code, {});
    const fields = form.sections.flatMap((s) => s.fields);
    const valid = sampleValues(fields, business);
    const rng = generator(SEED);
    const nasty = () => rng.pick(NASTY);
    const required = fields.filter((f) => f.required);
    /** A value the field cannot take: another JSON type than its own. */
    const wrongFor = (field: (typeof fields)[number]): unknown => {
      const own = valid[field.key];
      if (typeof own === 'string') return rng.pick([42, {}, [], true, { $gt: '' }]);
      if (typeof own === 'number') return rng.pick(['abc', {}, [], 'NaN', -1e308]);
      if (typeof own === 'boolean') return rng.pick(['yes', 1, {}, []]);
      if (Array.isArray(own)) return rng.pick(['x', 3, { $in: [] }, ['NOT_AN_OPTION']]);
      return { nested: nasty() };
    };
    const wrongValues = (): Record<string, unknown> => {
      const values: Record<string, unknown> = { ...valid };
      const field = rng.pick(required);
      switch (rng.int(4)) {
        case 0: delete values[field.key]; break; // a required field missing
        case 1: values[field.key] = wrongFor(field); break; // a value of the wrong type
        case 2: values[`unknown${rng.int(1000)}`] = nasty(); break; // a field the form does not have
        default: values[field.key] = typeof values[field.key] === 'string' ? `${values[field.key]}\u202E` : wrongFor(field); // a hidden character
      }
      return values;
    };
    type Case = { who: 'public' | 'applicant'; query: string; variables: Record<string, unknown> };
    const cases: (() => Case)[] = [
      () => ({ who: 'public', query: 'query ($i: ID!, $a: JSON) { guide(industryCode: $i, answers: $a) { committedDays } }', variables: { i: rng.pick([ONE_ITEM.code, nasty()]), a: { [`q${rng.int(9)}`]: nasty() } } }),
      () => ({ who: 'public', query: 'query ($i: ID!, $a: JSON) { applicationForm(industryCode: $i, answers: $a) { itemCodes } }', variables: { i: nasty(), a: nasty() } }),
      () => ({ who: 'public', query: 'query ($c: ID!) { scanPermit(code: $c) { code status } }', variables: { c: nasty() } }),
      () => ({ who: 'public', query: 'query ($q: String!) { verifyPermit(qrContent: $q) { result } }', variables: { q: rng.pick([nasty(), `http://x/scan/${'A'.repeat(rng.int(40))}?s=${nasty()}`]) } }),
      () => ({ who: 'public', query: rng.pick(['{ industries { code ', '{ industry(code: ) { code } }', 'mutation { }', '{ __typename @skip }', '{ scanPermit(code: "x") { nope } }', `{ ${'{'.repeat(50)} }`]), variables: {} }),
      () => ({ who: rng.pick(['public', 'applicant'] as const), query: 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }', variables: { input: { industryCode: ONE_ITEM.code, answers: {}, values: wrongValues() } } }),
      () => ({ who: 'applicant', query: 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }', variables: { input: { industryCode: ONE_ITEM.code, answers: rng.pick<unknown>([{ [`unknown${rng.int(99)}`]: nasty() }, 42, 'x', [1], true]), values: valid } } }),
      () => ({ who: 'applicant', query: 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }', variables: { input: { industryCode: ONE_ITEM.code, answers: {}, values: sampleValues(fields, other) } } }), // another's credit code
      () => ({
        who: 'applicant',
        query: 'mutation ($input: AttachMaterialInput!) { attachMaterial(input: $input) { status } }',
        variables: {
          input: rng.pick([
            { applicationId: mine.id, materialCode: nasty(), heldReference: 'ELICENCE:business-licence' },
            { applicationId: mine.id, materialCode: 'business-licence', file: { name: 'a.pdf', mediaType: 'application/pdf', contentBase64: rng.pick(['', '!!!!', Buffer.from('not a pdf').toString('base64')]) } },
            { applicationId: mine.id, materialCode: 'business-licence', file: { name: nasty(), mediaType: nasty(), contentBase64: 'JVBERi0=' } },
            { applicationId: nasty(), materialCode: 'business-licence', heldReference: 'ELICENCE:business-licence' },
            { applicationId: mine.id, materialCode: 'business-licence', heldReference: nasty() },
          ]),
        },
      }),
      () => ({ who: 'applicant', query: 'mutation ($id: ID!, $v: JSON) { supplementApplication(applicationId: $id, values: $v) { id } }', variables: { id: rng.pick([mine.id, nasty()]), v: nasty() } }),
      () => ({ who: 'applicant', query: 'mutation ($id: ID!, $r: String!) { withdrawApplication(applicationId: $id, reason: $r) { id } }', variables: { id: rng.pick([mine.id, 'no-such-application']), r: rng.pick(['', '   ', '\u0000', '撤回\u202E']) } }),
      () => ({ who: 'applicant', query: 'mutation ($id: ID!, $i: String!, $v: JSON) { submitCorrection(applicationId: $id, itemCode: $i, values: $v) { id } }', variables: { id: mine.id, i: nasty(), v: nasty() } }),
      () => ({ who: 'applicant', query: 'mutation ($id: ID!, $i: String!, $v: JSON!) { resubmitItem(applicationId: $id, itemCode: $i, values: $v) { id } }', variables: { id: rng.pick([mine.id, nasty()]), i: 'MR-FOOD-BUSINESS', v: nasty() } }),
      () => ({ who: 'applicant', query: 'mutation ($input: FaceChangeInput!) { submitFaceChange(input: $input) { id } }', variables: { input: { applicationId: mine.id, companyName: nasty(), reason: nasty() } } }),
      () => ({ who: 'applicant', query: 'query ($c: String!) { heldMaterials(creditCode: $c) { reference } }', variables: { c: rng.pick([other.creditCode, nasty()]) } }),
      () => ({ who: 'applicant', query: 'query ($id: ID!) { application(id: $id) { id values } }', variables: { id: nasty() } }),
    ];

    const services = t.platform.serviceUrls;
    await waitForQuiet(services);
    const inserts = async () => (await Promise.all(Object.values(services).map((u) => databaseCommands(u, 'insert')))).reduce((a, b) => a + b, 0);
    const before = await inserts();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const applicantToken = await t.token(applicant);
    await trials(CASES, 8, async (index) => {
      const made = cases[index % cases.length]();
      let body: string;
      try {
        body = JSON.stringify({ query: made.query, variables: made.variables });
      } catch {
        return;
      }
      // One case in fifty is not even JSON.
      if (index % 50 === 49) body = body.slice(0, Math.max(1, rng.int(body.length)));
      const r = await request(`${t.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(made.who === 'applicant' ? { authorization: `Bearer ${applicantToken}` } : {}) },
        body,
      });
      const text = await r.body.text();
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      const problem = (what: string) => failures.push(`case ${index} (${made.query.slice(0, 60)}): ${what}: ${text.slice(0, 200)}`);
      if (r.statusCode >= 500) problem(`HTTP ${r.statusCode}`);
      if (/\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d+/.test(text)) problem('a stack trace or a server path');
      let parsed: { data?: unknown; errors?: { extensions?: { code?: string } }[] } | undefined;
      try {
        parsed = JSON.parse(text);
      } catch {
        if (r.statusCode < 400) problem('neither JSON nor a refusal');
        return;
      }
      // A lookup of nothing answers "nothing" (null, UNKNOWN_CODE); a change must be refused.
      if (made.query.trimStart().startsWith("mutation") && !parsed?.errors?.length && r.statusCode < 400) problem(`accepted ${JSON.stringify(Object.fromEntries(Object.entries(((made.variables.input as { values?: Record<string, unknown> })?.values ?? {})).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(valid[k]))))} answers ${JSON.stringify((made.variables.input as { answers?: unknown })?.answers)}`);
      for (const error of parsed?.errors ?? []) if (!error.extensions?.code) problem('an error without a code');
    });
    await waitForQuiet(services);
    const written = (await inserts()) - before;
    console.log(`fuzz (seed ${SEED}): ${CASES} cases; HTTP ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; ${failures.length} failures; ${written} inserts`);
    expect(failures.slice(0, 30)).toEqual([]);
    expect(written).toBe(0);
  });
});
