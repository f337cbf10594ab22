import { request } from 'undici';
import { newEvent, signEvent } from '../../shared/events';
import { serviceDatabase } from '../support/db';
import { acceptedApplication, caller, eventually, issuedPermit, ONE_ITEM, publishTestIndustries, readyApplication, trials, TWO_ITEMS } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The invariants under deliberate races, on real processes with real
 * concurrency: a revoked licence always voids its stored permit; a supplement
 * and a withdrawal, or a withdrawal and a department's decision, never both
 * happen; an event delivered many times at once is applied once.
 */
// The claim is the number of trials, not their speed: on a shared 2-core machine the database (one core) sets the pace.
const TRIALS_TIMEOUT = 600_000;
// How long one trial's events may take to settle while four others run beside it.
const SETTLE_MS = 60_000;

describe('races', () => {
  let t: TestPlatform;
  let as: ReturnType<typeof caller>;

  beforeAll(async () => {
    t = await startTestPlatform();
    as = caller(t.graphqlUrl, t.token);
    await publishTestIndustries(t.walk);
    await t.walk.loadUnknownHolidaySchedules(); // supplement deadlines may run into next year
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('voids the stored permit whenever a licence is revoked right after issue (100 trials)', async () => {
    const revoked = await trials(100, 5, async (i) => {
      const { permit, licences } = await issuedPermit(t.walk, ONE_ITEM.code);
      // At once: the permit's own deliveries (to the applicant, the library) are in flight.
      await t.walk.endLicence('market-regulation', licences[0].licenceId, 'REVOKED', `第 ${i} 次试验：吊销`);
      return permit;
    });
    const PERMIT = 'query ($id: ID!) { permit(id: $id) { status voidReason history { action } } }';
    for (const permit of revoked) {
      // The stored permit (not the live licence the scan shows) must end VOID, with its history saying so.
      const stored = await eventually(`permit ${permit.id} void`, async () => {
        const r = await as<{ permit: { status: string; voidReason: string; history: { action: string }[] } }>(t.walk.issuer(), PERMIT, { id: permit.id });
        return r.data?.permit.status === 'VOID' ? r.data.permit : undefined;
      }, SETTLE_MS);
      expect(stored.history.map((h) => h.action)).toEqual(['ISSUED', 'VOIDED']);
      expect(stored.voidReason).toContain('吊销');
    }
    // And it stays so: a few seconds later nothing has put any of them back.
    await new Promise((r) => setTimeout(r, 2000));
    const verified = await trials(revoked.length, 5, async (i) => (await as<{ permit: { status: string } }>(t.walk.issuer(), PERMIT, { id: revoked[i].id })).data!.permit.status);
    expect(verified.every((s) => s === 'VOID')).toBe(true);
  }, TRIALS_TIMEOUT);

  it('takes a supplement and a withdrawal at the same moment one after the other, never half of each (30 trials)', async () => {
    const SUPPLY = 'mutation ($id: ID!) { supplementApplication(applicationId: $id, values: {}) { status } }';
    const WITHDRAW = 'mutation ($id: ID!) { withdrawApplication(applicationId: $id, reason: "不再经营") { status } }';
    const outcomes = await trials(30, 3, async () => {
      const { id, business } = await readyApplication(t.walk, ONE_ITEM.code);
      await as(t.walk.clerk(), 'mutation ($id: ID!) { requestSupplement(applicationId: $id, problems: [{ target: "other", messageZh: "请补充说明经营场所" }]) { id } }', { id });
      const owner = t.walk.applicant(business.creditCode);
      const [supplied, withdrawn] = await Promise.all([as(owner, SUPPLY, { id }), as(owner, WITHDRAW, { id })]);
      const final = (await as<{ application: { status: string; supplementedAt: string | null; withdrawal: { reason: string } | null } }>(
        t.walk.clerk(),
        'query ($id: ID!) { application(id: $id) { status supplementedAt withdrawal { reason } } }',
        { id },
      )).data!.application;
      return { supplied: !supplied.errors, withdrawn: !withdrawn.errors, final, loserCode: (supplied.errors ?? withdrawn.errors)?.[0]?.extensions?.code };
    });
    // Each acknowledged operation took effect, in one order or the other, and the application shows exactly that:
    // never SUBMITTED with a withdrawal, never a supplement lost.
    for (const o of outcomes) {
      if (o.supplied && o.withdrawn) expect(o.final).toMatchObject({ status: 'WITHDRAWN', supplementedAt: expect.any(String), withdrawal: { reason: '不再经营' } });
      else if (o.withdrawn) expect(o.final).toEqual({ status: 'WITHDRAWN', supplementedAt: null, withdrawal: { reason: '不再经营' } });
      else if (o.supplied) expect(o.final).toMatchObject({ status: 'SUBMITTED', supplementedAt: expect.any(String), withdrawal: null });
      else throw new Error('neither happened');
      if (!(o.supplied && o.withdrawn)) expect(['WRONG_STATE', 'CONFLICT']).toContain(o.loserCode);
    }
    console.log(`supplement vs withdrawal: both in turn ${outcomes.filter((o) => o.supplied && o.withdrawn).length}, withdrawal first (supplement refused) ${outcomes.filter((o) => !o.supplied).length}, of ${outcomes.length}`);
  }, TRIALS_TIMEOUT);

  it('lets a withdrawal and a department decision at the same moment never both happen, and never half (30 trials)', async () => {
    const WITHDRAW = 'mutation ($id: ID!) { withdrawApplication(applicationId: $id, reason: "不再经营") { status } }';
    const REVIEW = (ns: string) => `query ($id: ID!) { ${ns} { review(id: $id) { state licence { status } } } }`;
    const outcomes = await trials(30, 3, async (i) => {
      const app = await acceptedApplication(t.walk, TWO_ITEMS.code);
      const [food, alcohol] = app.items;
      // The reviewer presses at moments spread over the time the withdrawal takes to reach the departments (0 to 1.5 s), so either can come first.
      const [approved, withdrawn] = await Promise.all([
        new Promise((r) => setTimeout(r, (i % 6) * 300)).then(() =>
          as(t.walk.reviewer('market-regulation'), 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { state } } }', { id: food.reviewId }),
        ),
        as(t.walk.applicant(app.business.creditCode), WITHDRAW, { id: app.id }),
      ]);
      const final = await eventually('the withdrawal settled', async () => {
        const r = await as<{ application: { status: string } }>(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { status } }', { id: app.id });
        return r.data!.application.status === 'WITHDRAWING' ? undefined : r.data!.application.status;
      }, SETTLE_MS);
      const foodReview = (await as<{ marketRegulation: { review: { state: string; licence: { status: string } | null } } }>(t.walk.reviewer('market-regulation'), REVIEW('marketRegulation'), { id: food.reviewId })).data!.marketRegulation.review;
      // A failed withdrawal lets the other department's review go: it returns to its queue.
      const alcoholState = await eventually('the other review settled', async () => {
        const r = await as<{ commerce: { review: { state: string } } }>(t.walk.reviewer('commerce'), REVIEW('commerce'), { id: alcohol.reviewId });
        const state = r.data!.commerce.review.state;
        return final === 'WITHDRAWN' || state === 'PENDING' ? state : undefined;
      }, SETTLE_MS);
      const answered = (withdrawn.data as { withdrawApplication?: { status: string } } | null)?.withdrawApplication?.status;
      return { approved: !approved.errors, withdrawn: !withdrawn.errors && final === 'WITHDRAWN', withdrawAnswer: withdrawn.errors?.[0]?.extensions?.code ?? answered, final, foodReview, alcoholState };
    });
    for (const o of outcomes) {
      expect(Number(o.approved) + Number(o.withdrawn)).toBe(1);
      if (o.withdrawn) {
        expect(o.final).toBe('WITHDRAWN');
        expect(o.foodReview).toEqual({ state: 'WITHDRAWN', licence: null });
        expect(o.alcoholState).toBe('WITHDRAWN');
      } else {
        // Refused at once (the decision's event arrived first: WRONG_STATE); refused after the departments answered (CONFLICT);
        // or answered WITHDRAWING (past WITHDRAWAL_WAIT_MS, or near the end of the request's budget) and refused later; or,
        // on a saturated database, refused as UNAVAILABLE before anything was written. Never WITHDRAWN.
        expect(['WRONG_STATE', 'CONFLICT', 'WITHDRAWING', 'UNAVAILABLE']).toContain(o.withdrawAnswer);
        expect(o.final).toBe('ACCEPTED');
        expect(o.foodReview).toMatchObject({ state: 'APPROVED', licence: { status: 'VALID' } });
        expect(o.alcoholState).toBe('PENDING');
      }
    }
    const won = outcomes.filter((o) => o.withdrawn).length;
    console.log(`withdrawal vs decision: the withdrawal won ${won} of ${outcomes.length} trials, the decision the rest`);
    // The race ran both ways.
    expect(won).toBeGreaterThan(0);
    expect(won).toBeLessThan(outcomes.length);
  }, TRIALS_TIMEOUT);

  it('records every one of 20 complaints sent at the same moment against one permit, each once, none lost', async () => {
    const { permit } = await issuedPermit(t.walk, ONE_ITEM.code);
    const texts = Array.from({ length: 20 }, (_, i) => `第 ${i + 1} 条同时举报：门口排水口有污水外溢`);
    const SUBMIT = 'mutation ($input: ComplaintInput!) { submitComplaint(input: $input) { id } }';
    // All at once, from the public (no token): each is the next entry of the business's history, claimed by a unique id.
    const receipts = await Promise.all(texts.map((text) => as<{ submitComplaint: { id: string } }>(null, SUBMIT, { input: { permitCode: permit.code, text } })));
    expect(receipts.map((r) => r.errors)).toEqual(texts.map(() => undefined));
    const ids = receipts.map((r) => r.data!.submitComplaint.id);
    expect(new Set(ids).size).toBe(texts.length);
    const listed = await as<{ complaints: { id: string; permitCode: string; text: string }[] }>(t.walk.reviewer('market-regulation'), '{ complaints(departmentCode: "market-regulation") { id permitCode text } }');
    const mine = listed.data!.complaints.filter((c) => c.permitCode === permit.code);
    expect(mine.map((c) => c.text).sort()).toEqual([...texts].sort());
    expect(mine.map((c) => c.id).sort()).toEqual([...ids].sort());
  }, TRIALS_TIMEOUT);

  describe('the inbox', () => {
    const deliver = async (token: string) => {
      const r = await request(`${t.platform.serviceUrls.applications}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
    };
    const signed = async (id: string, applicationId: string) => {
      return signEvent(newEvent('PermitIssued', 'permit', 'applications', { applicationId, code: 'RACECODE', version: 1, permitId: `${id}-permit` }, id), t.secrets.eventKeys.permit);
    };

    it('applies an event delivered eight times at the same moment exactly once', async () => {
      const { id: applicationId } = await readyApplication(t.walk, ONE_ITEM.code);
      const token = await signed(`race-${applicationId}`, applicationId);
      const answers = await Promise.all(Array.from({ length: 8 }, () => deliver(token)));
      expect(answers.filter((a) => a.body.applied)).toHaveLength(1);
      for (const other of answers.filter((a) => !a.body.applied)) expect([{ status: 200, body: { duplicate: true } }, { status: 409, body: { inProgress: true } }]).toContainEqual(other);
      const db = await serviceDatabase(t.platform, 'applications');
      try {
        expect(await db.db!.collection('applied_events').findOne({ _id: `race-${applicationId}` as never })).toMatchObject({ attempt: 1 });
        expect(await db.db!.collection('notifications').countDocuments({ applicationId, kind: 'PERMIT_ISSUED' })).toBe(1);
      } finally {
        await db.close();
      }
    });

    it('takes over a claim whose handler died, once, and waits for one that is still running', async () => {
      const { id: applicationId } = await readyApplication(t.walk, ONE_ITEM.code);
      const db = await serviceDatabase(t.platform, 'applications');
      try {
        const claims = db.db!.collection('processed_events');
        // A process claimed these events and died (or is still working on the second): claimed, never applied.
        const crashed = `crashed-${applicationId}`;
        const running = `running-${applicationId}`;
        await claims.insertOne({ _id: crashed as never, type: 'PermitIssued', source: 'permit', claimedAt: new Date(Date.now() - 10 * 60_000) });
        await claims.insertOne({ _id: running as never, type: 'PermitIssued', source: 'permit', claimedAt: new Date() });
        const token = await signed(crashed, applicationId);
        const answers = await Promise.all(Array.from({ length: 4 }, () => deliver(token)));
        expect(answers.filter((a) => a.body.applied)).toHaveLength(1);
        expect(await db.db!.collection('applied_events').findOne({ _id: crashed as never })).toMatchObject({ attempt: 2 });
        expect(await db.db!.collection('inbox_attempts').countDocuments({ _id: { $in: [`${crashed}#2`, `${crashed}#3`] } as never })).toBe(1);
        expect(await db.db!.collection('notifications').countDocuments({ applicationId, kind: 'PERMIT_ISSUED' })).toBe(1);
        expect(await deliver(await signed(running, applicationId))).toEqual({ status: 409, body: { inProgress: true } });
      } finally {
        await db.close();
      }
    });
  });
});
