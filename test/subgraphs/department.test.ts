import { departmentSubgraph } from '../../shared/department/subgraph';
import { department } from '../../shared/registry';
import { databaseCommandCounts } from '../../shared/db';
import { DepartmentStore } from '../../shared/department/store';
import { inProcessSubgraph, type InProcessSubgraph } from '../support/in-process';
import { sampleBusiness } from '../support/sample-values';

/**
 * One department subgraph (market regulation) alone, in this process: the
 * generic department resolvers under this department's names, a dispatched
 * item decided, and references resolved through `_entities`.
 */
describe('a department subgraph, in process', () => {
  let s: InProcessSubgraph;
  const dept = department('market-regulation')!;
  const reviewer = { role: 'REVIEWER' as const, subject: 'mr-reviewer', department: dept.code };
  const otherReviewer = { role: 'REVIEWER' as const, subject: 'fr-reviewer', department: 'fire-rescue' };
  const PUBLIC = { role: 'PUBLIC' as const, subject: 'anonymous' };
  const business = sampleBusiness(626262);
  const applicationId = 'inproc-dept-app';
  const reviewId = `${applicationId}:MR-FOOD-BUSINESS`;

  beforeAll(async () => {
    s = await inProcessSubgraph(dept.code, () => departmentSubgraph(dept.folder));
    await s.deliver('ItemDispatched', 'applications', {
      applicationId,
      applicationNumber: 'SY-TEST-2',
      itemCode: 'MR-FOOD-BUSINESS',
      holder: { companyName: business.companyName, creditCode: business.creditCode, legalRepresentative: business.legalRepresentative, businessAddress: business.businessAddress },
      values: { mainBusinessFormat: 'CATERING', businessItems: ['HOT_FOOD'], onlineFoodSales: false },
      dispatchedAt: new Date().toISOString(),
    });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("answers under the department's own root field and type names", async () => {
    const r = await s.run<{ marketRegulation: { review: { __typename: string; id: string; state: string } } }>(
      reviewer,
      'query ($id: ID!) { marketRegulation { review(id: $id) { __typename id state } } }',
      { id: reviewId },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.marketRegulation.review).toEqual({ __typename: `${dept.typePrefix}Review`, id: reviewId, state: 'PENDING' });
  });

  it("refuses another department's reviewer a decision, and changes nothing", async () => {
    const r = await s.run(otherReviewer, 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { state } } }', { id: reviewId });
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const still = await s.run<{ marketRegulation: { review: { state: string } } }>(reviewer, 'query ($id: ID!) { marketRegulation { review(id: $id) { state } } }', { id: reviewId });
    expect(still.data!.marketRegulation.review.state).toBe('PENDING');
  });

  describe('once approved', () => {
    let licence: { id: string; status: string; __typename: string };
    beforeAll(async () => {
      const r = await s.run<{ marketRegulation: { approve: { state: string; licence: typeof licence } } }>(
        reviewer,
        'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { state licence { __typename id status } } } }',
        { id: reviewId },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.marketRegulation.approve.state).toBe('APPROVED');
      licence = r.data!.marketRegulation.approve.licence;
    });

    it('resolves its licence as a reference for anyone (the scan), with the live status', async () => {
      expect(licence).toMatchObject({ __typename: 'FoodBusinessLicence', status: 'VALID' });
      const r = await s.run<{ _entities: ({ id: string; status: string; holderName: string } | null)[] }>(
        PUBLIC,
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on SingleLicence { id status holderName } } }',
        { r: [{ __typename: 'FoodBusinessLicence', id: licence.id }, { __typename: 'FoodBusinessLicence', id: 'no-such-licence' }] },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!._entities).toEqual([{ id: licence.id, status: 'VALID', holderName: business.companyName }, null]);
    });

    it('resolves a review reference for its own reviewers only (the form values stay in the department)', async () => {
      const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on ItemReview { id state } } }';
      const r = [{ __typename: `${dept.typePrefix}Review`, id: reviewId }];
      expect((await s.run<{ _entities: unknown[] }>(reviewer, query, { r })).data!._entities).toEqual([{ id: reviewId, state: 'APPROVED' }]);
      expect((await s.run<{ _entities: unknown[] }>(otherReviewer, query, { r })).data!._entities).toEqual([null]);
      expect((await s.run<{ _entities: unknown[] }>(PUBLIC, query, { r })).data!._entities).toEqual([null]);
    });

    it('ends the licence and shows it ended in the next reference lookup', async () => {
      const ended = await s.run<{ marketRegulation: { endLicence: { status: string } } }>(
        reviewer,
        'mutation ($id: ID!) { marketRegulation { endLicence(licenceId: $id, ending: REVOKED, reason: "严重违法") { status } } }',
        { id: licence.id },
      );
      expect(ended.errors).toBeUndefined();
      expect(ended.data!.marketRegulation.endLicence.status).toBe('REVOKED');
      const r = await s.run<{ _entities: { status: string }[] }>(PUBLIC, 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on SingleLicence { status } } }', {
        r: [{ __typename: 'FoodBusinessLicence', id: licence.id }],
      });
      expect(r.data!._entities[0].status).toBe('REVOKED');
    });
  });
  it('sweeps for licences past their end date at the first outbox sweep of each Beijing day, not at every sweep', async () => {
    const store = new DepartmentStore(s.db, dept);
    const sweeps = () => databaseCommandCounts.get('find:sweep') ?? 0;
    const sweepsOf = async (at: string) => {
      const before = sweeps();
      await store.beforeSweep(new Date(at));
      return sweeps() - before;
    };
    // Days long past: nothing can lapse, only the sweeps are counted (one for end dates set at issue, one for those set by a change).
    expect(await sweepsOf('2020-03-01T01:00:00+08:00')).toBe(2);
    expect(await sweepsOf('2020-03-01T01:00:05+08:00')).toBe(0);
    expect(await sweepsOf('2020-03-01T23:59:00+08:00')).toBe(0);
    expect(await sweepsOf('2020-03-02T00:00:01+08:00')).toBe(2);
    expect(await sweepsOf('2020-03-02T12:00:00+08:00')).toBe(0);
  });
});
