import { request } from 'undici';
import { SignJWT } from 'jose';
import { graphql } from '../support/client';
import { sampleBusiness, sampleValues } from '../support/sample-values';
import type { ApplicationView } from '../support/walkthrough';
import type { Identity } from '../../shared/identity';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal, problemsOf } from '../support/refusals';

/** Every refusal is a clear error with a code, a field path and both languages, and writes nothing. */
describe('refusals', () => {
  let t: TestPlatform;
  let values: Record<string, unknown>;
  const business = sampleBusiness(201);
  const answers = { ownSewerConnection: false };

  const SUBMIT = `mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }`;
  const as = async (identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const applicationCount = async () => {
    const r = await as(t.walk.clerk(), '{ applications { id } }');
    return (r.data as { applications: unknown[] }).applications.length;
  };

  beforeAll(async () => {
    t = await startTestPlatform();
    const form = await t.walk.form('restaurant', answers);
    values = sampleValues(form.sections.flatMap((s) => s.fields), business);
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('submitting', () => {
    const submitAs = (identity: Identity, input: Record<string, unknown>) => as(identity, SUBMIT, { input });
    let before: number;
    beforeEach(async () => {
      before = await applicationCount();
    });
    afterEach(async () => {
      expect(await applicationCount()).toBe(before); // nothing written
    });

    it('refuses a credit code with a wrong check character', async () => {
      const last = business.creditCode.slice(-1);
      const wrong = business.creditCode.slice(0, 17) + (last === '0' ? '1' : '0');
      const result = await submitAs(t.walk.clerk(), { industryCode: 'restaurant', answers, values: { ...values, creditCode: wrong } });
      expectRefusal(result, 'BAD_USER_INPUT', 'input.values.creditCode');
      expect(problemsOf(result)).toEqual([expect.objectContaining({ path: 'input.values.creditCode', code: 'INVALID_CREDIT_CODE' })]);
    });

    it('refuses a credit code of the wrong length', async () => {
      const result = await submitAs(t.walk.clerk(), { industryCode: 'restaurant', answers, values: { ...values, creditCode: '91110113MA01' } });
      expectRefusal(result, 'BAD_USER_INPUT', 'input.values.creditCode');
    });

    it('refuses an ID number with a wrong check character, and values of the wrong type or out of range', async () => {
      const id = String(values.legalRepresentativeIdNumber);
      const wrongId = id.slice(0, 17) + (id.endsWith('0') ? '1' : '0');
      const result = await submitAs(t.walk.clerk(), {
        industryCode: 'restaurant',
        answers,
        values: { ...values, legalRepresentativeIdNumber: wrongId, floorArea: -5, contactPhone: 12345 },
      });
      expectRefusal(result, 'BAD_USER_INPUT');
      expect(problemsOf(result).map((p) => [p.path, p.code]).sort()).toEqual([
        ['input.values.contactPhone', 'INVALID_TYPE'],
        ['input.values.floorArea', 'OUT_OF_RANGE'],
        ['input.values.legalRepresentativeIdNumber', 'INVALID_ID_NUMBER'],
      ]);
    });

    it('refuses an unknown industry', async () => {
      const result = await submitAs(t.walk.clerk(), { industryCode: 'spaceport', answers: {}, values });
      expectRefusal(result, 'NOT_FOUND', 'input.industryCode');
    });

    it('refuses a missing required field, naming every problem at once', async () => {
      const { companyName: _c, contactPhone: _p, ...incomplete } = values;
      const result = await submitAs(t.walk.clerk(), { industryCode: 'restaurant', answers, values: incomplete });
      expectRefusal(result, 'BAD_USER_INPUT');
      expect(problemsOf(result).map((p) => [p.path, p.code]).sort()).toEqual([
        ['input.values.companyName', 'REQUIRED'],
        ['input.values.contactPhone', 'REQUIRED'],
      ]);
    });

    it('refuses unknown fields and unanswered or unknown questions', async () => {
      const unknownField = await submitAs(t.walk.clerk(), { industryCode: 'restaurant', answers, values: { ...values, favouriteColour: 'red' } });
      expect(problemsOf(unknownField)).toEqual([expect.objectContaining({ path: 'input.values.favouriteColour', code: 'UNKNOWN_FIELD' })]);
      const unanswered = await submitAs(t.walk.clerk(), { industryCode: 'restaurant', answers: {}, values });
      expect(problemsOf(unanswered)).toEqual([expect.objectContaining({ path: 'input.answers.ownSewerConnection', code: 'REQUIRED' })]);
      const unknownQuestion = await submitAs(t.walk.clerk(), { industryCode: 'restaurant', answers: { ...answers, hasHelipad: true }, values });
      expect(problemsOf(unknownQuestion)).toEqual([expect.objectContaining({ path: 'input.answers.hasHelipad', code: 'UNKNOWN_QUESTION' })]);
    });

    it('refuses an applicant applying for another credit code, and the wrong roles', async () => {
      const other = sampleBusiness(202);
      expectRefusal(await submitAs(t.walk.applicant(other.creditCode), { industryCode: 'restaurant', answers, values }), 'FORBIDDEN');
      expectRefusal(await submitAs(t.walk.reviewer('market-regulation'), { industryCode: 'restaurant', answers, values }), 'FORBIDDEN');
      expectRefusal(await submitAs(t.walk.issuer(), { industryCode: 'restaurant', answers, values }), 'FORBIDDEN');
      const anonymous = await graphql(t.graphqlUrl, SUBMIT, { input: { industryCode: 'restaurant', answers, values } });
      expectRefusal(anonymous, 'UNAUTHENTICATED');
    });
  });

  describe('intake, decisions and issuing', () => {
    let app: ApplicationView;
    let food: ApplicationView['items'][number];
    let fire: ApplicationView['items'][number];

    beforeAll(async () => {
      const submitted = await t.walk.submit(t.walk.applicant(business.creditCode), 'restaurant', answers, values);
      // Issuing before every item is decided is refused.
      const early = await as(t.walk.issuer(), 'mutation ($id: ID!) { issuePermit(applicationId: $id) { id } }', { id: submitted.id });
      expectRefusal(early, 'NOT_READY', 'applicationId');
      // Only a clerk accepts.
      const byApplicant = await as(t.walk.applicant(business.creditCode), 'mutation ($id: ID!) { acceptApplication(id: $id) { id } }', {
        id: submitted.id,
      });
      expectRefusal(byApplicant, 'FORBIDDEN');
      app = await t.walk.accept(submitted.id);
      [food, fire] = app.items;
      await t.walk.waitForReview(food.departmentCode, food.reviewId);
      await t.walk.waitForReview(fire.departmentCode, fire.reviewId);
    });

    it('lets exactly one of two clerks accepting at the same moment win', async () => {
      const other = sampleBusiness(203);
      const form = await t.walk.form('restaurant', answers);
      const submitted = await t.walk.submit(t.walk.clerk(), 'restaurant', answers, sampleValues(form.sections.flatMap((s) => s.fields), other));
      await t.walk.attachMissingMaterials(submitted.id);
      const accept = () => as(t.walk.clerk(), 'mutation ($id: ID!) { acceptApplication(id: $id) { status } }', { id: submitted.id });
      const results = await Promise.all([accept(), accept(), accept()]);
      expect(results.filter((r) => !r.errors)).toHaveLength(1);
      for (const loser of results.filter((r) => r.errors)) expect(['CONFLICT', 'WRONG_STATE']).toContain(loser.errors![0].extensions?.code);
      expect((await t.walk.application(submitted.id))!.status).toBe('ACCEPTED');
    });

    it('refuses accepting twice', async () => {
      const again = await as(t.walk.clerk(), 'mutation ($id: ID!) { acceptApplication(id: $id) { id } }', { id: app.id });
      expectRefusal(again, 'WRONG_STATE', 'id');
    });

    const reviewState = async (departmentCode: string, graphqlName: string, reviewId: string) => {
      const r = await as(t.walk.reviewer(departmentCode), `query ($id: ID!) { ${graphqlName} { review(id: $id) { state } } }`, { id: reviewId });
      return (r.data as Record<string, { review: { state: string } }>)[graphqlName].review.state;
    };

    it("refuses a decision on another department's item", async () => {
      // A fire reviewer using market regulation's mutations…
      const viaOtherNamespace = await as(t.walk.reviewer('fire-rescue'), 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { id } } }', {
        id: food.reviewId,
      });
      expectRefusal(viaOtherNamespace, 'FORBIDDEN');
      // …or their own, with market regulation's review.
      const viaOwnNamespace = await as(t.walk.reviewer('fire-rescue'), 'mutation ($id: ID!) { fireRescue { approve(reviewId: $id) { id } } }', {
        id: food.reviewId,
      });
      expectRefusal(viaOwnNamespace, 'FORBIDDEN', 'reviewId');
      expect(await reviewState('market-regulation', 'marketRegulation', food.reviewId)).toBe('PENDING');
    });

    it('refuses a decision by the wrong role', async () => {
      for (const identity of [t.walk.clerk(), t.walk.issuer(), t.walk.applicant(business.creditCode)]) {
        const r = await as(identity, 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { id } } }', { id: food.reviewId });
        expectRefusal(r, 'FORBIDDEN');
      }
      const anonymous = await as(null, 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { id } } }', { id: food.reviewId });
      expectRefusal(anonymous, 'UNAUTHENTICATED');
      expect(await reviewState('market-regulation', 'marketRegulation', food.reviewId)).toBe('PENDING');
    });

    it('refuses a denial without reasons', async () => {
      const r = await as(t.walk.reviewer('market-regulation'), 'mutation ($id: ID!) { marketRegulation { deny(reviewId: $id, reasons: ["  "]) { id } } }', {
        id: food.reviewId,
      });
      expectRefusal(r, 'BAD_USER_INPUT', 'reasons');
      expect(await reviewState('market-regulation', 'marketRegulation', food.reviewId)).toBe('PENDING');
    });

    it('lets exactly one of two simultaneous decisions win, and refuses a second decision', async () => {
      const approve = async () =>
        as(t.walk.reviewer('market-regulation'), 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { state } } }', { id: food.reviewId });
      const deny = async () =>
        as(t.walk.reviewer('market-regulation'), 'mutation ($id: ID!) { marketRegulation { deny(reviewId: $id, reasons: ["材料不全"]) { state } } }', {
          id: food.reviewId,
        });
      const results = await Promise.all([approve(), deny(), approve(), deny()]);
      const winners = results.filter((r) => !r.errors);
      expect(winners).toHaveLength(1);
      for (const loser of results.filter((r) => r.errors)) {
        expect(['CONFLICT', 'WRONG_STATE']).toContain(loser.errors![0].extensions?.code);
      }
      const state = (winners[0].data as { marketRegulation: Record<string, { state: string }> }).marketRegulation;
      expect(await reviewState('market-regulation', 'marketRegulation', food.reviewId)).toBe(Object.values(state)[0].state);

      const again = await approve();
      expectRefusal(again, 'WRONG_STATE', 'reviewId');
    });

    it('refuses issuing by the wrong role, and issuing twice', async () => {
      await t.walk.decide(fire.departmentCode, fire.reviewId, { approve: true });
      await t.walk.waitUntilDecided(app.id);
      const byClerk = await as(t.walk.clerk(), 'mutation ($id: ID!) { issuePermit(applicationId: $id) { id } }', { id: app.id });
      expectRefusal(byClerk, 'FORBIDDEN');
      await t.walk.issuePermit(app.id);
      const twice = await as(t.walk.issuer(), 'mutation ($id: ID!) { issuePermit(applicationId: $id) { id } }', { id: app.id });
      expectRefusal(twice, 'WRONG_STATE', 'applicationId');
    });
  });

  describe('identity', () => {
    it('refuses a request straight to a subgraph without the gateway signature', async () => {
      for (const url of Object.values(t.platform.serviceUrls)) {
        const r = await request(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        const body = (await r.body.json()) as { errors: { extensions: { code: string } }[] };
        expect(r.statusCode).toBe(401);
        expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }
    });

    it('refuses an identity header signed with another key', async () => {
      const forged = await new SignJWT({ role: 'ADMIN', sub: 'mallory' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('yiye-gateway')
        .setAudience('yiye-subgraphs')
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode('not-the-gateway-secret-not-the-gateway-secret'));
      const r = await request(`${t.platform.serviceUrls['market-regulation']}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-yiye-identity': forged },
        body: JSON.stringify({ query: '{ marketRegulation { reviews { id } } }' }),
      });
      expect(r.statusCode).toBe(401);
      await r.body.text();
    });

    it('refuses a bad bearer token at the gateway instead of treating it as public', async () => {
      const r = await graphql(t.graphqlUrl, '{ industries { code } }', {}, 'not-a-token');
      expect(r.status).toBe(401);
      expect(r.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});
