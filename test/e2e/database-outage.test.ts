import { graphql } from '../support/client';
import { startIsolatedPlatform, type Platform } from '../support/launcher';
import { devToken } from '../support/launcher';
import { sampleValues } from '../support/sample-values';
import { Walkthrough } from '../support/walkthrough';
import type { Identity } from '../../shared/identity';
import { killable, ownDatabase, type OwnDatabase } from '../support/own-database';
import { freshBusiness, ONE_ITEM, publishTestIndustries } from '../support/paths';

/**
 * Time budgets that agree: a subgraph gives up on the database before the
 * gateway gives up on the subgraph, so "unavailable" means "nothing was
 * written". The database is killed (-9) for five seconds while submissions
 * keep coming; afterwards every submission answered with an error is absent,
 * every one answered with success is there.
 */
(killable ? describe : describe.skip)('a database outage', () => {
  let db: OwnDatabase;
  let platform: Platform;
  let walk: Walkthrough;
  let token: (identity: Identity) => Promise<string>;

  beforeAll(async () => {
    db = await ownDatabase('outage');
    platform = await startIsolatedPlatform(db.uri, 'o', { OUTBOX_INTERVAL_MS: '200' });
    token = (identity) => devToken(platform.options.secrets.jwt, identity, '10m');
    walk = new Walkthrough(platform.gatewayUrl, token);
    await publishTestIndustries(walk);
  });
  afterAll(async () => {
    await platform?.stop();
    await db?.stop();
  });

  it('writes nothing it answered "unavailable" for, and everything it answered "done" for', async () => {
    const form = await walk.form(ONE_ITEM.code, {});
    const fields = form.sections.flatMap((s) => s.fields);
    const SUBMIT = 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id creditCode } }';
    const clerk = await token(walk.clerk());
    const submit = async (business: ReturnType<typeof freshBusiness>) => {
      const started = Date.now();
      const r = await graphql<{ submitApplication: { id: string } }>(platform.gatewayUrl + '/graphql', SUBMIT, { input: { industryCode: ONE_ITEM.code, answers: {}, values: sampleValues(fields, business) } }, clerk);
      return { creditCode: business.creditCode, ok: !r.errors && Boolean(r.data?.submitApplication), errors: r.errors ?? [], ms: Date.now() - started };
    };

    await db.kill();
    // Ten submissions spread over the five seconds the database is down; the last ones may meet it coming back.
    const answers = Promise.all(
      Array.from({ length: 10 }, (_, i) => new Promise((r) => setTimeout(r, i * 500)).then(() => submit(freshBusiness()))),
    );
    await new Promise((r) => setTimeout(r, 5000));
    await db.restart();
    const results = await answers;

    // Long enough for any write still queued anywhere to land.
    await new Promise((r) => setTimeout(r, 12_000));
    const listed = await graphql<{ applications: { creditCode: string }[] }>(platform.gatewayUrl + '/graphql', '{ applications { creditCode } }', {}, clerk);
    const stored = new Set(listed.data!.applications.map((a) => a.creditCode));
    for (const result of results) {
      expect({ creditCode: result.creditCode, stored: stored.has(result.creditCode) }).toEqual({ creditCode: result.creditCode, stored: result.ok });
      for (const error of result.errors) {
        // Refused with a clear, bilingual code, never a stack trace.
        expect(['UNAVAILABLE', 'SUBGRAPH_UNAVAILABLE']).toContain(error.extensions?.code);
        expect(JSON.stringify(error)).not.toMatch(/at \w+ \(|node_modules|\/work\//);
      }
    }
    const refused = results.filter((r) => !r.ok);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    // Every refusal came before the gateway's own 5 s timeout: the subgraph gave up first.
    expect(refused.every((r) => r.errors.every((e) => e.extensions?.code === 'UNAVAILABLE'))).toBe(true);
    console.log(`database down 5 s: ${refused.length} of ${results.length} submissions refused (none stored), the rest stored; answers in ${results.map((r) => r.ms).join(', ')} ms`);
  });
});
