import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'undici';
import { graphql } from '../support/client';
import { sampleBusiness, sampleValues, type FormFieldView } from '../support/sample-values';
import { REPO_ROOT, department } from '../../shared/registry';
import type { Identity } from '../../shared/identity';
import { loadCatalogue, repositoryCatalogueData } from '../../subgraphs/applications/catalogue';
import { industryScenarios } from '../../subgraphs/applications/reform-figures';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal, problemsOf } from '../support/refusals';

/** The catalogue, guides, forms and editions through the real gateway. */
describe('catalogue, guides and forms', () => {
  let t: TestPlatform;
  const repository = repositoryCatalogueData();
  const as = async (identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<Record<string, unknown>>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const admin: Identity = { role: 'ADMIN', subject: 'admin-01' };
  const analyst: Identity = { role: 'ANALYST', subject: 'analyst-01' };

  type IndustrySummary = { code: string; mergedForm: boolean; questions: { key: string; type: string; options: { value: string }[] | null }[]; items: { item: { code: string; departmentCode: string } }[] };
  let industries: (IndustrySummary & { edition: string })[];

  beforeAll(async () => {
    t = await startTestPlatform();
    const r = await as(null, '{ industries { code edition mergedForm questions { key type options { value } } items { item { code departmentCode } } } }');
    industries = (r.data as { industries: (IndustrySummary & { edition: string })[] }).industries;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('loads every industry of the repository catalogue as the first edition', async () => {
    expect(industries.map((i) => i.code)).toEqual(repository.industries.map((i) => i.code));
    expect(new Set(industries.map((i) => i.edition))).toEqual(new Set(['E1']));
    // The 2023 edition's size: 40 industries, at least 10 departments and 30 distinct items.
    expect(industries).toHaveLength(40);
    const departments = new Set(industries.flatMap((i) => i.items.map((x) => x.item.departmentCode)));
    const items = new Set(industries.flatMap((i) => i.items.map((x) => x.item.code)));
    expect(departments.size).toBeGreaterThanOrEqual(10);
    expect(items.size).toBeGreaterThanOrEqual(30);
  });

  it("lets each department publish its own items' definitions", async () => {
    const r = await as(null, '{ water { items { code licenceType commitmentAllowed } } sport { items { code } } }');
    const data = r.data as Record<string, { items: { code: string }[] }>;
    expect(data.water.items.map((i) => i.code)).toEqual(repository.items.filter((i) => i.department === 'water').map((i) => i.code));
    expect(data.sport.items.map((i) => i.code)).toEqual(repository.items.filter((i) => i.department === 'sport').map((i) => i.code));
  });

  it('answers the guide and the form for every industry, with and without answers', async () => {
    for (const industry of industries) {
      const answers = Object.fromEntries(industry.questions.map((q) => [q.key, q.type === 'BOOLEAN' ? true : q.options![0].value]));
      for (const a of [null, answers]) {
        const r = await as(
          null,
          'query ($i: ID!, $a: JSON) { guide(industryCode: $i, answers: $a) { items { code } materials { code } committedDays } applicationForm(industryCode: $i, answers: $a) { itemCodes sections { fields { key } } } }',
          { i: industry.code, a },
        );
        expect(r.errors).toBeUndefined();
        const data = r.data as { guide: { items: { code: string }[]; materials: unknown[] }; applicationForm: { itemCodes: string[]; sections: { fields: { key: string }[] }[] } };
        expect(data.guide.items.length).toBeGreaterThan(0);
        expect(data.applicationForm.itemCodes).toEqual(data.guide.items.map((i) => i.code));
        const keys = data.applicationForm.sections.flatMap((s) => s.fields.map((f) => f.key));
        expect(new Set(keys).size).toBe(keys.length); // each element asked once
      }
    }
  });

  it('refuses guide answers to questions that do not exist, or of the wrong type', async () => {
    const unknown = await as(null, '{ guide(industryCode: "restaurant", answers: { hasHelipad: true }) { committedDays } }');
    expectRefusal(unknown, 'BAD_USER_INPUT', 'answers.hasHelipad');
    const wrongType = await as(null, '{ applicationForm(industryCode: "restaurant", answers: { ownSewerConnection: "yes" }) { itemCodes } }');
    expect(problemsOf(wrongType)).toEqual([expect.objectContaining({ path: 'answers.ownSewerConnection', code: 'INVALID_TYPE' })]);
    expectRefusal(await as(null, '{ guide(industryCode: "moon-base") { committedDays } }'), 'NOT_FOUND', 'industryCode');
  });

  it('prints the guide as HTML, in Chinese and in English', async () => {
    const zh = await request(`${t.documentsUrl}/guides/restaurant?answers=${encodeURIComponent(JSON.stringify({ ownSewerConnection: true }))}`);
    const zhHtml = await zh.body.text();
    expect(zh.statusCode).toBe(200);
    expect(zhHtml).toContain('行业综合办事指南');
    expect(zhHtml).toContain('食品经营许可');
    expect(zhHtml).toContain('城镇污水排入排水管网许可');
    expect(zhHtml).toContain('北京市顺义区人民法院');
    const en = await request(`${t.documentsUrl}/guides/restaurant?lang=en`);
    const enHtml = await en.body.text();
    expect(enHtml).toContain('One-time guide');
    expect(enHtml).toContain('Food business licence');
    // One document for one fact: the pharmacy's three sets of plans are one, marked as each item asks.
    const plans = await as(null, '{ guide(industryCode: "pharmacy", answers: { areaOver300: true }) { materials { code annotations { itemCode zh } } } }');
    const floorPlans = (plans.data as { guide: { materials: { code: string; annotations: { itemCode: string; zh: string }[] | null }[] } }).guide.materials.filter((m) => m.code === 'floor-plan');
    expect(floorPlans).toHaveLength(1);
    expect(floorPlans[0].annotations!.map((a) => a.itemCode).sort()).toEqual(['FR-FIRE-CHECK', 'MR-DRUG-RETAIL', 'MR-MEDICAL-DEVICE-III']);
    const pharmacyPage = await (await request(`${t.documentsUrl}/guides/pharmacy?answers=${encodeURIComponent(JSON.stringify({ areaOver300: true }))}`)).body.text();
    expect(pharmacyPage).toContain('共用文件，提交一份');
    expect(pharmacyPage).toContain('FR-FIRE-CHECK: 标注 标明消防设施');
    // This platform connects no source of held materials: the guide says who holds them, and that they are still handed in here.
    const travel = await request(`${t.documentsUrl}/guides/travel-agency`);
    expect(await travel.body.text()).toContain('政府部门已有（北京市电子证照库），本区尚未接入，仍须提交');
    const missing = await request(`${t.documentsUrl}/guides/moon-base`);
    expect(missing.statusCode).toBe(404);
    await missing.body.text();
    const bad = await request(`${t.documentsUrl}/guides/restaurant?answers=${encodeURIComponent('{"hasHelipad":true}')}`);
    expect(bad.statusCode).toBe(400);
    await bad.body.text();
  });

  it('asks a café corner\'s area apart from the bookstore\'s, and gives each department the area its licence covers', async () => {
    const answers = { hasCafeCorner: true, areaOver300: false };
    const fields = (await t.walk.form('bookstore', answers)).sections.flatMap((s) => s.fields);
    expect(fields.map((f) => f.key)).toEqual(expect.arrayContaining(['floorArea', 'cafeCornerFloorArea']));
    const values = { ...sampleValues(fields, sampleBusiness(Math.floor(Math.random() * 100000))), floorArea: 180, cafeCornerFloorArea: 25 };
    const submitted = await t.walk.submit(t.walk.clerk(), 'bookstore', answers, values);
    const accepted = await t.walk.accept(submitted.id);
    const areaIn = async (departmentCode: string, itemCode: string) => {
      const reviewId = accepted.items.find((i) => i.itemCode === itemCode)!.reviewId;
      await t.walk.waitForReview(departmentCode, reviewId);
      const dept = department(departmentCode)!;
      const r = await as(t.walk.reviewer(departmentCode), `query ($id: ID!) { ${dept.graphqlName} { review(id: $id) { values } } }`, { id: reviewId });
      return (r.data as Record<string, { review: { values: { floorArea: number } } }>)[dept.graphqlName].review.values.floorArea;
    };
    expect(await areaIn('market-regulation', 'MR-FOOD-BUSINESS')).toBe(25);
    expect(await areaIn('culture-tourism', 'CT-PUBLICATION-RETAIL')).toBe(180);
  });

  it('gives analysts the reform figures, computed from the catalogue', async () => {
    const r = await as(analyst, '{ reformFigures { industryCode formFieldsSeparate formFieldsMerged formFieldReduction materialsSeparate materialsMerged statutoryDaysSequential committedDaysUnified timeReduction } }');
    const rows = (r.data as { reformFigures: Record<string, number | string>[] }).reformFigures;
    expect(rows).toHaveLength(repository.industries.length);
    const restaurant = rows.find((x) => x.industryCode === 'restaurant')!;
    expect(restaurant.formFieldsMerged).toBeLessThan(restaurant.formFieldsSeparate as number);
    expect(restaurant.formFieldReduction).toBeCloseTo(1 - (restaurant.formFieldsMerged as number) / (restaurant.formFieldsSeparate as number), 2);
    // Every answer set, as the figures module computes it from the published catalogue, through the gateway.
    const s = await as(analyst, '{ reformFigures { industryCode scenarios { itemCodes formFieldsMerged materialsWithCommitment statutoryDaysParallel daysWithCommitment reductions { time } contributions { measure mechanism amount share } illustrative } leastFavourable { time } mostFavourable { time } } }');
    const withScenarios = (s.data as { reformFigures: { industryCode: string; scenarios: ({ itemCodes: string[]; reductions: { time: number } } & Record<string, unknown>)[]; leastFavourable: { time: number }; mostFavourable: { time: number } }[] }).reformFigures;
    const pharmacy = withScenarios.find((x) => x.industryCode === 'pharmacy')!;
    const built = loadCatalogue();
    const expected = industryScenarios(built, built.industry('pharmacy')!);
    expect(pharmacy.scenarios.map((x) => x.itemCodes)).toEqual(expected.map((x) => x.itemCodes));
    expect(pharmacy.scenarios[0]).toEqual(
      expect.objectContaining({ formFieldsMerged: expected[0].formFieldsMerged, materialsWithCommitment: expected[0].materialsWithCommitment, daysWithCommitment: expected[0].daysWithCommitment, contributions: expected[0].contributions, illustrative: expected[0].illustrative }),
    );
    expect(pharmacy.leastFavourable.time).toBe(Math.min(...pharmacy.scenarios.map((x) => x.reductions.time)));
    expect(pharmacy.mostFavourable.time).toBe(Math.max(...pharmacy.scenarios.map((x) => x.reductions.time)));
    expectRefusal(await as(null, '{ reformFigures { industryCode } }'), 'UNAUTHENTICATED');
    expectRefusal(await as(t.walk.clerk(), '{ reformFigures { industryCode } }'), 'FORBIDDEN');
  });

  describe('editing the catalogue', () => {
    const INDUSTRY_INPUT = {
      code: 'tea-house',
      nameZh: '茶馆',
      nameEn: 'Tea house',
      mergedForm: true,
      questions: [{ key: 'areaOver300', type: 'BOOLEAN', textZh: '面积是否超过300平方米？', textEn: 'Over 300 m²?' }],
      items: [
        { itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' },
        { itemCode: 'FR-FIRE-CHECK', department: 'fire-rescue', when: { areaOver300: true } },
      ],
      illustrative: ['questions'],
    };
    const UPSERT = 'mutation ($input: CatalogueIndustryInput!) { upsertCatalogueIndustry(input: $input) { code edition } }';
    const draftIndustries = async () => {
      const r = await as(admin, '{ industries(edition: "draft") { code } }');
      return (r.data as { industries: { code: string }[] }).industries.map((i) => i.code);
    };
    let applicationUnderE1: string;

    beforeAll(async () => {
      // An application made under the first edition stays pinned to it.
      const form = await t.walk.form('restaurant', { ownSewerConnection: false });
      const values = sampleValues(form.sections.flatMap((s) => s.fields), sampleBusiness(401));
      applicationUnderE1 = (await t.walk.submit(t.walk.clerk(), 'restaurant', { ownSewerConnection: false }, values)).id;
    });

    it('refuses edits by anyone but an admin', async () => {
      expectRefusal(await as(t.walk.clerk(), UPSERT, { input: INDUSTRY_INPUT }), 'FORBIDDEN');
      expectRefusal(await as(analyst, 'mutation { publishCatalogueEdition { id } }'), 'FORBIDDEN');
      expectRefusal(await as(null, '{ industries(edition: "draft") { code } }'), 'UNAUTHENTICATED');
    });

    it('refuses an industry without items, an item of the wrong department and an unknown item, changing nothing', async () => {
      const before = await draftIndustries();
      const noItems = await as(admin, UPSERT, { input: { ...INDUSTRY_INPUT, items: [] } });
      expect(problemsOf(noItems)).toEqual([expect.objectContaining({ path: 'input.industries.tea-house.items', code: 'NO_ITEMS' })]);
      const wrongDept = await as(admin, UPSERT, { input: { ...INDUSTRY_INPUT, items: [{ itemCode: 'MR-FOOD-BUSINESS', department: 'health' }] } });
      expect(problemsOf(wrongDept)).toEqual([expect.objectContaining({ code: 'WRONG_DEPARTMENT' })]);
      const unknownItem = await as(admin, UPSERT, { input: { ...INDUSTRY_INPUT, items: [{ itemCode: 'XX-NOTHING', department: 'health' }] } });
      expect(problemsOf(unknownItem)).toEqual([expect.objectContaining({ code: 'UNKNOWN_ITEM' })]);
      expect(await draftIndustries()).toEqual(before);
    });

    it('refuses an item without a valid department, and removing an item an industry still lists', async () => {
      const r = await as(admin, '{ industry(code: "restaurant") { items { item { code departmentCode nameZh nameEn licenceType licenceNameZh licenceNameEn statutoryDays committedDays feeYuan commitmentAllowed validityYears legalBasis { zh en } conditions { zh en } processSteps { zh en } materials { code nameZh nameEn commitmentMayOmit } elements { key type labelZh labelEn required min max maxLength integer section options { value labelZh labelEn } } } } } }');
      const food = (r.data as { industry: { items: { item: Record<string, unknown> }[] } }).industry.items[0].item;
      const { departmentCode, ...rest } = food;
      const strip = (e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null));
      const input = { ...rest, department: departmentCode, elements: (rest.elements as Record<string, unknown>[]).map(strip) };
      const noDept = await as(admin, 'mutation ($input: ApprovalItemInput!) { upsertApprovalItem(input: $input) { code } }', { input: { ...input, department: 'ministry-of-magic' } });
      expect(problemsOf(noDept)).toEqual([expect.objectContaining({ path: 'input.items.MR-FOOD-BUSINESS.department', code: 'NO_DEPARTMENT' })]);
      const stillListed = await as(admin, 'mutation { removeApprovalItem(code: "MR-FOOD-BUSINESS") { id } }');
      expectRefusal(stillListed, 'BAD_USER_INPUT');
      expect(problemsOf(stillListed).map((p) => p.code)).toContain('UNKNOWN_ITEM');
      // The same definition back, with a shorter committed time, is accepted into the draft.
      const ok = await as(admin, 'mutation ($input: ApprovalItemInput!) { upsertApprovalItem(input: $input) { code committedDays } }', { input: { ...input, committedDays: 3 } });
      expect(ok.errors).toBeUndefined();
    });

    it('publishes the draft as a new immutable edition; older applications keep theirs', async () => {
      const added = await as(admin, UPSERT, { input: INDUSTRY_INPUT });
      expect(added.data).toEqual({ upsertCatalogueIndustry: { code: 'tea-house', edition: 'draft' } });
      // Not visible to the public until published.
      expect((await as(null, '{ industry(code: "tea-house") { code } }')).data).toEqual({ industry: null });
      const published = await as(admin, 'mutation { publishCatalogueEdition(note: "茶馆试点") { id number status industryCount } }');
      expect(published.data).toEqual({
        publishCatalogueEdition: { id: 'E2', number: 2, status: 'PUBLISHED', industryCount: repository.industries.length + 1 },
      });
      const teaHouse = await as(null, '{ industry(code: "tea-house") { code edition rolloutState } guide(industryCode: "tea-house", answers: { areaOver300: false }) { items { code committedDays } } }');
      expect(teaHouse.data).toEqual({
        industry: { code: 'tea-house', edition: 'E2', rolloutState: 'DRAFT' },
        guide: { items: [{ code: 'MR-FOOD-BUSINESS', committedDays: 3 }] },
      });
      // Edition 1 is unchanged and still readable.
      const e1 = await as(null, '{ industry(code: "tea-house", edition: "E1") { code } guide(industryCode: "restaurant", answers: { ownSewerConnection: false }, edition: "E1") { items { code committedDays } } }');
      expect((e1.data as { industry: unknown }).industry).toBeNull();
      expect((e1.data as { guide: { items: { committedDays: number }[] } }).guide.items[0].committedDays).not.toBe(3);
      const pinned = await as(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { edition } }', { id: applicationUnderE1 });
      expect(pinned.data).toEqual({ application: { edition: 'E1' } });
      // There is no draft to publish now.
      expectRefusal(await as(admin, 'mutation { publishCatalogueEdition { id } }'), 'WRONG_STATE');
    });

    it('loads the repository catalogue as the next edition with `npm run catalogue:load`', async () => {
      // Asynchronously: a test that blocks its own event loop for seconds tests its HTTP client, not the platform.
      const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/catalogue-load.ts'], {
        cwd: REPO_ROOT,
        env: { ...process.env, MONGODB_URI: t.platform.options.mongoUri, DB_PREFIX: t.platform.options.dbPrefix },
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('published as edition E3');
      const editions = await as(analyst, '{ catalogueEditions { id status industryCount publishedBy } }');
      expect((editions.data as { catalogueEditions: { id: string }[] }).catalogueEditions.map((e) => e.id)).toEqual(['E3', 'E2', 'E1']);
      // Within a second the subgraph serves the new edition: tea-house is gone again.
      await new Promise((r) => setTimeout(r, 1200));
      expect((await as(null, '{ industry(code: "tea-house") { code } }')).data).toEqual({ industry: null });
    });
  });

  it('takes a bundled submission for an industry not ready for the merged form', async () => {
    const bundled = industries.find((i) => !i.mergedForm)!;
    expect(bundled).toBeDefined();
    const answers = Object.fromEntries(bundled.questions.map((q) => [q.key, q.type === 'BOOLEAN' ? true : q.options![0].value]));
    const form = await t.walk.form(bundled.code, answers);
    const fields: FormFieldView[] = form.sections.flatMap((s) => s.fields);
    expect(fields.every((f) => f.key.startsWith(`${form.itemCodes.find((c) => f.key.startsWith(c))}:`))).toBe(true);
    const business = sampleBusiness(402);
    const app = await t.walk.submit(t.walk.clerk(), bundled.code, answers, sampleValues(fields, business));
    expect(app.creditCode).toBe(business.creditCode);
    expect(app.items.map((i) => i.itemCode)).toEqual(form.itemCodes);
    // Each department receives its own item's values, read from the bundled keys.
    const accepted = await t.walk.accept(app.id);
    const first = accepted.items[0];
    await t.walk.waitForReview(first.departmentCode, first.reviewId);
    const review = await as(t.walk.reviewer(first.departmentCode), `query ($id: ID!) { ${department(first.departmentCode)!.graphqlName} { review(id: $id) { values holderName } } }`, { id: first.reviewId });
    const seen = (review.data as Record<string, { review: { values: Record<string, unknown>; holderName: string } }>)[department(first.departmentCode)!.graphqlName].review;
    expect(seen.holderName).toBe(business.companyName);
    expect(seen.values.creditCode).toBe(business.creditCode);
  });
});
