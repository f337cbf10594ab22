import type { Identity } from '../../shared/identity';
import { eventually, graphql } from '../support/client';
import { readyApplication } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { sampleBusiness } from '../support/sample-values';

/**
 * Items that must be decided first, on real processes: a private school's
 * licence before its non-profit registration (CA-PRIVATE-NONENTERPRISE
 * `decidedAfter` ED-PRIVATE-SCHOOL). The registration is dispatched only once
 * the licence is approved, its clock runs from then, the guide shows the
 * order; a denial blocks it, and the permit says it was not handled and why.
 */
describe('the order items are decided in', () => {
  let t: TestPlatform;
  const INDUSTRY = 'order-school';
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  type Item = { itemCode: string; departmentCode: string; status: string; reviewId: string; clock: { dueDate: string | null } | null };
  const items = async (id: string) =>
    (await as<{ application: { status: string; items: Item[] } }>(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { status items { itemCode departmentCode status reviewId clock { dueDate } } } }', { id })).data!.application;
  const reviewIn = async (departmentCode: string, reviewId: string) =>
    (await as<{ civilAffairs: { review: { id: string } | null } }>(t.walk.reviewer(departmentCode), 'query ($id: ID!) { civilAffairs { review(id: $id) { id } } }', { id: reviewId })).data!.civilAffairs.review;
  let serial = 0;

  beforeAll(async () => {
    t = await startTestPlatform();
    await t.walk.loadUnknownHolidaySchedules();
    await t.walk.publishIndustry(INDUSTRY, [
      { itemCode: 'CA-PRIVATE-NONENTERPRISE', department: 'civil-affairs' },
      { itemCode: 'ED-PRIVATE-SCHOOL', department: 'education' },
      { itemCode: 'UM-SIGNBOARD', department: 'urban-management' },
    ]);
    serial = 500000 + Math.floor(Math.random() * 90000);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('shows the order in the guide', async () => {
    const guide = await as<{ guide: { committedDays: number; items: { code: string; decidedAfter: string[]; committedDays: number }[] } }>(
      null,
      `{ guide(industryCode: "${INDUSTRY}") { committedDays items { code decidedAfter committedDays } } }`,
    );
    // The applicant waits for the critical path: the school licence, then the registration, beside the sign.
    const days = (code: string) => guide.data!.guide.items.find((i) => i.code === code)!.committedDays;
    expect(guide.data!.guide.committedDays).toBe(Math.max(days('ED-PRIVATE-SCHOOL') + days('CA-PRIVATE-NONENTERPRISE'), days('UM-SIGNBOARD')));
    expect(guide.data!.guide.items.find((i) => i.code === 'CA-PRIVATE-NONENTERPRISE')!.decidedAfter).toEqual(['ED-PRIVATE-SCHOOL']);
    expect(guide.data!.guide.items.find((i) => i.code === 'ED-PRIVATE-SCHOOL')!.decidedAfter).toEqual([]);
    const page = await (await fetch(`${t.documentsUrl}/guides/${INDUSTRY}`)).text();
    expect(page).toMatch(/须在「[^」]+」准予许可后分送办理/);
  });

  it('dispatches the registration only once the school licence is approved, its clock running from then', async () => {
    const { id } = await readyApplication(t.walk, INDUSTRY, sampleBusiness(++serial));
    await t.walk.accept(id);
    const accepted = await items(id);
    const school = accepted.items.find((i) => i.itemCode === 'ED-PRIVATE-SCHOOL')!;
    const registration = accepted.items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!;
    expect(school.status).toBe('DISPATCHED');
    expect(registration).toEqual(expect.objectContaining({ status: 'WAITING', clock: null }));
    // The bureau's list of what is due skips an item whose clock has not started.
    const due = await as<{ itemsDue: { applicationId: string; itemCode: string }[] }>(t.walk.admin(), '{ itemsDue(includeNearDue: true) { applicationId itemCode } }');
    expect(due.errors).toBeUndefined();
    expect(due.data!.itemsDue.filter((d) => d.applicationId === id).map((d) => d.itemCode)).not.toContain('CA-PRIVATE-NONENTERPRISE');
    // The school's review is open; civil affairs has been sent nothing.
    await t.walk.waitForReview('education', school.reviewId);
    expect(await reviewIn('civil-affairs', registration.reviewId)).toBeNull();

    await t.walk.decide('education', school.reviewId, { approve: true });
    await eventually('the registration dispatched', async () => ((await items(id)).items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!.status === 'DISPATCHED' ? true : undefined));
    await t.walk.waitForReview('civil-affairs', registration.reviewId);
    expect((await items(id)).items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!.clock?.dueDate).toEqual(expect.any(String));
    await t.walk.decideAll(id);
    expect((await t.walk.waitUntilDecided(id)).status).toBe('DECIDED');
  });

  it('blocks the registration when the school licence is denied: decided, and the permit says it was not handled and why', async () => {
    const { id } = await readyApplication(t.walk, INDUSTRY, sampleBusiness(++serial));
    await t.walk.accept(id);
    await t.walk.decideAll(id, ['ED-PRIVATE-SCHOOL']);
    const decided = await t.walk.waitUntilDecided(id);
    expect(decided.items.map((i) => [i.itemCode, i.status]).sort()).toEqual([
      ['CA-PRIVATE-NONENTERPRISE', 'BLOCKED'],
      ['ED-PRIVATE-SCHOOL', 'DENIED'],
      ['UM-SIGNBOARD', 'APPROVED'],
    ]);
    expect(await reviewIn('civil-affairs', decided.items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!.reviewId)).toBeNull();
    const permit = await t.walk.issuePermit(id);
    const face = await as<{ permit: { items: { itemCode: string; permitted: boolean; notPermittedReasons: string[] | null }[] } }>(t.walk.issuer(), 'query ($id: ID!) { permit(id: $id) { items { itemCode permitted notPermittedReasons } } }', { id: permit.id });
    const registration = face.data!.permit.items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!;
    expect(registration.permitted).toBe(false);
    expect(registration.notPermittedReasons!.join(' ')).toContain('未予办理');
  });

  it('sends a blocked item on once the item it waits for is approved in a later round, and the permit learns its outcome', async () => {
    const business = sampleBusiness(++serial);
    const { id } = await readyApplication(t.walk, INDUSTRY, business);
    await t.walk.accept(id);
    await t.walk.decideAll(id, ['ED-PRIVATE-SCHOOL']);
    const decided = await t.walk.waitUntilDecided(id);
    const permit = await t.walk.issuePermit(id);
    const school = decided.items.find((i) => i.itemCode === 'ED-PRIVATE-SCHOOL')!;
    const registration = decided.items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!;
    // The applicant hands the school licence in again; approved in round 2, it lets the registration go.
    const again = await as(t.walk.applicant(business.creditCode), 'mutation ($a: ID!) { resubmitItem(applicationId: $a, itemCode: "ED-PRIVATE-SCHOOL", values: {}) { id } }', { a: id });
    expect(again.errors).toBeUndefined();
    await t.walk.waitForReview('education', school.reviewId);
    await t.walk.decide('education', school.reviewId, { approve: true });
    await eventually('the registration sent on', async () => ((await items(id)).items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!.status === 'DISPATCHED' ? true : undefined));
    await t.walk.waitForReview('civil-affairs', registration.reviewId);
    await t.walk.decide('civil-affairs', registration.reviewId, { approve: true });
    await eventually('the registration approved', async () => ((await items(id)).items.find((i) => i.itemCode === 'CA-PRIVATE-NONENTERPRISE')!.status === 'APPROVED' ? true : undefined));
    // The permit service hears of both outcomes: its version is due for re-issue with the items now permitted.
    const due = await eventually('the permit due for re-issue', async () => {
      const r = await as<{ permit: { reissueDue: boolean } }>(t.walk.issuer(), 'query ($id: ID!) { permit(id: $id) { reissueDue } }', { id: permit.id });
      return r.data?.permit.reissueDue ? true : undefined;
    });
    expect(due).toBe(true);
  });

  it('withdraws before any decision by holding only what was dispatched', async () => {
    const business = sampleBusiness(++serial);
    const { id } = await readyApplication(t.walk, INDUSTRY, business);
    const accepted = await t.walk.accept(id);
    for (const item of accepted.items.filter((i) => i.itemCode !== 'CA-PRIVATE-NONENTERPRISE')) await t.walk.waitForReview(item.departmentCode, item.reviewId);
    await as(t.walk.applicant(business.creditCode), 'mutation ($id: ID!) { withdrawApplication(applicationId: $id, reason: "不再开办") { status } }', { id });
    expect(await eventually('withdrawn', async () => ((await items(id)).status === 'WITHDRAWN' ? true : undefined))).toBe(true);
  });
});
