import type { ElementDefinition, IndustryDefinition, ItemDefinition } from '../../shared/catalogue';
import {
  answerProblems,
  applicableItems,
  buildCatalogue,
  buildForm,
  catalogueProblems,
  loadCatalogue,
  mergeElements,
  mergeMaterials,
  itemValues,
  type CatalogueData,
} from '../../subgraphs/applications/catalogue';
import { industryScenarios, reformFigures } from '../../subgraphs/applications/reform-figures';

const element = (key: string, extra: Partial<ElementDefinition> = {}): ElementDefinition => ({
  key,
  type: 'TEXT',
  labelZh: key,
  labelEn: key,
  required: false,
  section: 'item',
  ...extra,
});

const item = (code: string, elements: ElementDefinition[], extra: Partial<ItemDefinition> = {}): ItemDefinition => ({
  code,
  department: 'market-regulation',
  nameZh: code,
  nameEn: code,
  licenceType: 'FoodBusinessLicence',
  licenceNameZh: code,
  licenceNameEn: code,
  legalBasis: [],
  conditions: [],
  materials: [
    { code: 'business-licence', nameZh: '营业执照', nameEn: 'Business licence', commitmentMayOmit: false },
    { code: `${code}-plan`, nameZh: '方案', nameEn: 'Plan', commitmentMayOmit: true },
  ],
  processSteps: [],
  elements,
  statutoryDays: 20,
  committedDays: 5,
  feeYuan: 0,
  commitmentAllowed: false,
  validityYears: 5,
  ...extra,
});

const industry = (items: IndustryDefinition['items'], extra: Partial<IndustryDefinition> = {}): IndustryDefinition => ({
  code: 'test-industry',
  nameZh: '测试行业',
  nameEn: 'Test industry',
  mergedForm: true,
  questions: [{ key: 'big', type: 'BOOLEAN', textZh: '大吗', textEn: 'Big?' }],
  items,
  ...extra,
});

describe('merging elements into one form', () => {
  const a = item('A', [
    element('companyName', { section: 'applicant', required: true, maxLength: 100 }),
    element('floorArea', { type: 'AREA', section: 'premises', min: 1, max: 10000 }),
    element('seats', { type: 'NUMBER', min: 0, max: 500 }),
    element('kind', { type: 'ENUM', options: ['X', 'Y', 'Z'].map((v) => ({ value: v, labelZh: v, labelEn: v })) }),
  ]);
  const b = item('B', [
    element('companyName', { section: 'applicant', required: false, maxLength: 50 }),
    element('floorArea', { type: 'AREA', section: 'premises', min: 20, max: 50000, required: true }),
    element('seats', { type: 'NUMBER', min: 10, max: 300, integer: true }),
    element('kind', { type: 'ENUM', options: ['Y', 'Z', 'W'].map((v) => ({ value: v, labelZh: v, labelEn: v })) }),
    element('drains', { type: 'BOOLEAN' }),
  ]);

  it('asks a shared element once, naming every item that asks it', () => {
    const merged = mergeElements([a, b]);
    expect(merged.map((f) => f.key)).toEqual(['companyName', 'floorArea', 'seats', 'kind', 'drains']);
    expect(merged.find((f) => f.key === 'floorArea')!.itemCodes).toEqual(['A', 'B']);
    expect(merged.find((f) => f.key === 'drains')!.itemCodes).toEqual(['B']);
  });

  it('keeps the strictest constraint of each', () => {
    const merged = new Map(mergeElements([a, b]).map((f) => [f.key, f]));
    expect(merged.get('companyName')).toMatchObject({ required: true, maxLength: 50 });
    expect(merged.get('floorArea')).toMatchObject({ required: true, min: 20, max: 10000 });
    expect(merged.get('seats')).toMatchObject({ min: 10, max: 300, integer: true });
    expect(merged.get('kind')!.options!.map((o) => o.value)).toEqual(['Y', 'Z']);
  });

  it('does not change the items it merged', () => {
    mergeElements([a, b]);
    expect(a.elements[0]).toMatchObject({ required: true, maxLength: 100 });
    expect(b.elements[1]).toMatchObject({ min: 20, max: 50000 });
  });

  it('refuses to merge one key of two types', () => {
    const c = item('C', [element('seats', { type: 'TEXT' })]);
    expect(() => mergeElements([a, c])).toThrow(/seats/);
  });

  it('groups fields into sections in a fixed order, leaving out empty ones', () => {
    const sections = buildForm(industry([]), [a, b]);
    expect(sections.map((s) => s.key)).toEqual(['applicant', 'premises', 'item']);
    expect(sections[2].fields.map((f) => f.key)).toEqual(['seats', 'kind', 'drains']);
  });

  it('shows or hides fields with the answers: only the applicable items contribute', () => {
    const data: CatalogueData = {
      items: [a, b],
      industries: [industry([{ itemCode: 'A', department: 'market-regulation' }, { itemCode: 'B', department: 'market-regulation', when: { big: true } }])],
    };
    const catalogue = buildCatalogue(data, 'test');
    const ind = catalogue.industry('test-industry')!;
    const keys = (answers: Record<string, boolean> | null) =>
      buildForm(ind, applicableItems(catalogue, ind, answers)).flatMap((s) => s.fields.map((f) => f.key));
    expect(keys({ big: false })).not.toContain('drains');
    expect(keys({ big: true })).toContain('drains');
    expect(keys(null)).toContain('drains'); // no answers: every case
    expect(applicableItems(catalogue, ind, {}).map((i) => i.code)).toEqual(['A']); // unanswered condition does not apply
  });

  it("bundles the items' own forms when the industry is not ready for the merged form", () => {
    const sections = buildForm(industry([], { mergedForm: false }), [a, b]);
    expect(sections.map((s) => s.key)).toEqual(['A', 'B']);
    expect(sections[1].fields.map((f) => f.key)).toContain('B:companyName');
    expect(sections[0].fields.find((f) => f.key === 'A:companyName')).toMatchObject({ maxLength: 100 });
  });

  it('merges materials by code, listing the items that need each', () => {
    const materials = mergeMaterials([a, b], false);
    expect(materials.map((m) => m.code)).toEqual(['business-licence', 'A-plan', 'B-plan']);
    expect(materials[0].itemCodes).toEqual(['A', 'B']);
  });

  it("replaces the items' own application forms with the one merged form", () => {
    const withForm = (i: ItemDefinition) => ({
      ...i,
      materials: [...i.materials, { code: `${i.code}-application-form`, nameZh: '申请表', nameEn: 'Form', commitmentMayOmit: false, replacedByMergedForm: true }],
    });
    const merged = mergeMaterials([withForm(a), withForm(b)], true);
    expect(merged.map((m) => m.code)).toEqual(['business-licence', 'A-plan', 'merged-application-form', 'B-plan']);
    expect(merged.find((m) => m.code === 'merged-application-form')!.itemCodes).toEqual(['A', 'B']);
    // Without the merged form each item's own form is still handed in.
    expect(mergeMaterials([withForm(a), withForm(b)], false).map((m) => m.code)).toContain('B-application-form');
  });
});

describe('answers', () => {
  const ind = industry([{ itemCode: 'A', department: 'market-regulation' }], {
    questions: [
      { key: 'big', type: 'BOOLEAN', textZh: '大吗', textEn: 'Big?' },
      { key: 'kind', type: 'ENUM', textZh: '类型', textEn: 'Kind', options: [{ value: 'X', labelZh: 'X', labelEn: 'X' }] },
    ],
  });
  it('refuses unknown questions, wrong types and options, and missing answers when all are required', () => {
    expect(answerProblems(ind, { big: true, kind: 'X' }, true)).toEqual([]);
    const problems = answerProblems(ind, { big: 'yes', kind: 'Q', extra: 1 }, false);
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['answers.big', 'INVALID_TYPE'],
      ['answers.kind', 'INVALID_OPTION'],
      ['answers.extra', 'UNKNOWN_QUESTION'],
    ]);
    expect(answerProblems(ind, {}, true).map((p) => p.code)).toEqual(['REQUIRED', 'REQUIRED']);
  });
});

describe('catalogue checks', () => {
  const a = item('A', [element('x')]);
  const valid: CatalogueData = { items: [a], industries: [industry([{ itemCode: 'A', department: 'market-regulation' }])] };
  const codes = (data: CatalogueData) => catalogueProblems(data).map((p) => `${p.path}:${p.code}`);

  it('accepts a consistent catalogue', () => {
    expect(codes(valid)).toEqual([]);
  });
  it('refuses an item without a valid department', () => {
    expect(codes({ ...valid, items: [{ ...a, department: 'nowhere' }] })).toContain('items.A.department:NO_DEPARTMENT');
  });
  it('refuses an industry without items, and dangling references', () => {
    expect(codes({ ...valid, industries: [industry([])] })).toEqual(['industries.test-industry.items:NO_ITEMS']);
    expect(codes({ ...valid, items: [] })).toEqual(['industries.test-industry.items.0.itemCode:UNKNOWN_ITEM']);
    expect(codes({ ...valid, industries: [industry([{ itemCode: 'A', department: 'health' }])] })).toEqual([
      'industries.test-industry.items.0.department:WRONG_DEPARTMENT',
    ]);
    expect(codes({ ...valid, industries: [industry([{ itemCode: 'A', department: 'market-regulation', when: { tall: true } }])] })).toEqual([
      'industries.test-industry.items.0.when.tall:UNKNOWN_QUESTION',
    ]);
  });
  it('refuses a licence type the department does not define, one key of two types, and bad commitment data', () => {
    expect(codes({ ...valid, items: [{ ...a, licenceType: 'SpaceLicence' }] })).toContain('items.A.licenceType:UNKNOWN_LICENCE_TYPE');
    const b = item('B', [element('x', { type: 'NUMBER' })]);
    expect(codes({ ...valid, items: [a, b] })).toContain('items.B.elements.x:ELEMENT_TYPE_CONFLICT');
    const noOmit = { ...a, commitmentAllowed: true, materials: a.materials.map((m) => ({ ...m, commitmentMayOmit: false })) };
    expect(codes({ ...valid, items: [noOmit] })).toContain('items.A.materials:NO_COMMITMENT_MATERIAL');
    expect(codes({ ...valid, items: [{ ...a, committedDays: 30 }] })).toContain('items.A.committedDays:OUT_OF_RANGE');
    expect(codes({ ...valid, items: [a, a] })).toContain('items.A:DUPLICATE_CODE');
  });
  it("the repository's catalogue passes every check", () => {
    expect(() => loadCatalogue()).not.toThrow();
  });
});

describe('reform figures', () => {
  it('counts fields, materials and days from the catalogue', () => {
    const a = item('A', [element('companyName', { section: 'applicant' }), element('x')], { statutoryDays: 20, committedDays: 5 });
    const b = item('B', [element('companyName', { section: 'applicant' }), element('y'), element('z')], { statutoryDays: 15, committedDays: 10 });
    const data: CatalogueData = {
      items: [a, b],
      industries: [industry([{ itemCode: 'A', department: 'market-regulation' }, { itemCode: 'B', department: 'market-regulation', when: { big: true } }])],
    };
    const catalogue = buildCatalogue(data, 'test');
    expect(reformFigures(catalogue, catalogue.industry('test-industry')!)).toMatchObject({
      itemCount: 2,
      formFieldsSeparate: 5,
      formFieldsMerged: 4,
      materialsSeparate: 4,
      materialsMerged: 3,
      statutoryDaysSequential: 35,
      committedDaysSequential: 15,
      committedDaysUnified: 10,
    });
  });
});

describe('one document for one fact', () => {
  const withPlans = (code: string, annotationZh: string, commitmentMayOmit = true) =>
    item(code, [element('x')], {
      materials: [{ code: `${code}-plans`, nameZh: '平面图', nameEn: 'Plans', commitmentMayOmit, documents: [{ code: 'floor-plan', annotationZh, annotationEn: annotationZh }] }],
    });

  it('asks a shared document once, with what each item needs marked on it', () => {
    const merged = mergeMaterials([withPlans('A', '标明消防设施'), withPlans('B', '标明包厢')], true);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toEqual(
      expect.objectContaining({
        code: 'floor-plan',
        itemCodes: ['A', 'B'],
        annotations: [
          { itemCode: 'A', zh: '标明消防设施', en: '标明消防设施' },
          { itemCode: 'B', zh: '标明包厢', en: '标明包厢' },
        ],
      }),
    );
  });

  it('lets commitment omit the shared document only when every item using it lets it be omitted', () => {
    expect(mergeMaterials([withPlans('A', 'a'), withPlans('B', 'b')], true)[0].commitmentMayOmit).toBe(true);
    expect(mergeMaterials([withPlans('A', 'a'), withPlans('B', 'b', false)], true)[0].commitmentMayOmit).toBe(false);
  });

  it('refuses a material naming a document the shared catalogue lacks', () => {
    const bad = item('A', [element('x')], { materials: [{ code: 'm', nameZh: 'm', nameEn: 'm', commitmentMayOmit: false, documents: [{ code: 'moon-map' }] }] });
    const problems = catalogueProblems({ items: [bad], industries: [industry([{ itemCode: 'A', department: 'market-regulation' }])] });
    expect(problems.map((p) => `${p.path}:${p.code}`)).toContain('items.A.materials.0.documents.0.code:UNKNOWN_DOCUMENT');
  });

  it('serves the pharmacy\'s three sets of premises plans with one', () => {
    const catalogue = loadCatalogue();
    const pharmacy = catalogue.industry('pharmacy')!;
    const merged = mergeMaterials(applicableItems(catalogue, pharmacy, { areaOver300: true }), true);
    const plans = merged.filter((m) => m.code === 'floor-plan');
    expect(plans).toHaveLength(1);
    expect(plans[0].annotations.map((a) => a.itemCode).sort()).toEqual(['FR-FIRE-CHECK', 'MR-DRUG-RETAIL', 'MR-MEDICAL-DEVICE-III']);
  });
});

describe('an item covering part of the premises', () => {
  const catalogue = loadCatalogue();
  const bookstore = catalogue.industry('bookstore')!;
  const answers = { hasCafeCorner: true, areaOver300: false };

  it('asks that part\'s area as a field of its own, beside the whole premises\' area', () => {
    const fields = buildForm(bookstore, applicableItems(catalogue, bookstore, answers)).flatMap((s) => s.fields);
    expect(fields.find((f) => f.key === 'floorArea')!.itemCodes).toEqual(['CT-PUBLICATION-RETAIL']);
    expect(fields.find((f) => f.key === 'cafeCornerFloorArea')).toEqual(expect.objectContaining({ itemCodes: ['MR-FOOD-BUSINESS'], labelZh: expect.stringMatching(/^咖啡区：/) }));
  });

  it('hands each item the area it covers under its own key', () => {
    const values = { floorArea: 200, cafeCornerFloorArea: 30 };
    expect(itemValues(bookstore, values, catalogue.item('MR-FOOD-BUSINESS')).floorArea).toBe(30);
    expect(itemValues(bookstore, values, catalogue.item('CT-PUBLICATION-RETAIL')).floorArea).toBe(200);
    // In a restaurant the food licence covers the whole premises: one area, shared.
    expect(itemValues(catalogue.industry('restaurant')!, values, catalogue.item('MR-FOOD-BUSINESS')).floorArea).toBe(200);
  });

  it('refuses a part with a bad key, or on an item asking no area of the premises', () => {
    const noArea = item('A', [element('x')]);
    const data = (premisesPart: { key: string; nameZh: string; nameEn: string }) => ({ items: [noArea], industries: [industry([{ itemCode: 'A', department: 'market-regulation', premisesPart }])] });
    expect(catalogueProblems(data({ key: 'cafe', nameZh: '咖啡区', nameEn: 'café' })).map((p) => p.code)).toContain('NO_PREMISES_AREA');
    expect(catalogueProblems(data({ key: 'Cafe corner', nameZh: '咖啡区', nameEn: 'café' })).map((p) => p.code)).toContain('INVALID_FORMAT');
  });
});

describe('items decided in order', () => {
  const codes = (data: CatalogueData) => catalogueProblems(data).map((p) => `${p.path}:${p.code}`);
  const two = (a: Partial<ItemDefinition>, b: Partial<ItemDefinition>): CatalogueData => ({
    items: [item('A', [element('x')], a), item('B', [element('y')], b)],
    industries: [industry([{ itemCode: 'A', department: 'market-regulation' }, { itemCode: 'B', department: 'market-regulation' }])],
  });

  it('refuses waiting for an unknown item, or in a circle', () => {
    expect(codes(two({ decidedAfter: ['Z'] }, {}))).toContain('items.A.decidedAfter.0:UNKNOWN_ITEM');
    expect(codes(two({ decidedAfter: ['B'] }, { decidedAfter: ['A'] }))).toEqual(expect.arrayContaining(['items.A.decidedAfter:CYCLE', 'items.B.decidedAfter:CYCLE']));
    expect(codes(two({ decidedAfter: ['B'] }, {}))).toEqual([]);
  });

  it('counts time along the order: the critical path, not the longest item alone', () => {
    const data = two({ decidedAfter: ['B'], statutoryDays: 20, committedDays: 5 }, { statutoryDays: 15, committedDays: 10 });
    const catalogue = buildCatalogue(data, 'test');
    const [scenario] = industryScenarios(catalogue, catalogue.industry('test-industry')!).filter((s) => s.itemCodes.length === 2);
    expect(scenario).toEqual(expect.objectContaining({ statutoryDaysSequential: 35, statutoryDaysParallel: 35, committedDaysParallel: 15 }));
  });
});
