import { department, departments } from '../../shared/registry';
import { checklistOf } from '../../subgraphs/supervision/checklist';
import { graphqlData } from '../support/client';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { sampleBusiness } from '../support/sample-values';

/**
 * 一单 through the gateway: the supervision subgraph merges the check points
 * each department owns into one checklist per industry (from the catalogue's
 * items, @requires) and per business (from the items its permit says it holds).
 */
describe('supervision: the one checklist', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const POINT = 'code itemCode departmentCode departmentNameZh textZh textEn legalBasisZh legalBasisEn failureZh onFailure correctionDays illustrative';
  interface Point {
    code: string;
    itemCode: string;
    departmentCode: string;
    onFailure: string;
    correctionDays: number | null;
  }

  it("merges every department's points for an industry's items, in the catalogue's order", async () => {
    const data = await graphqlData<{ industry: { items: { item: { code: string; departmentCode: string } }[]; checklist: Point[] } }>(
      t.graphqlUrl,
      `{ industry(code: "restaurant") { items { item { code departmentCode } } checklist { ${POINT} } } }`,
    );
    const itemCodes = data.industry.items.map((i) => i.item.code);
    const expected = checklistOf(itemCodes).map((p) => p.code);
    expect(expected.length).toBeGreaterThan(itemCodes.length);
    expect(data.industry.checklist.map((p) => p.code)).toEqual(expected);
    // Points from more than one department, each the department of its item.
    const departmentOf = new Map(data.industry.items.map((i) => [i.item.code, i.item.departmentCode]));
    expect(new Set(data.industry.checklist.map((p) => p.departmentCode)).size).toBeGreaterThan(1);
    for (const point of data.industry.checklist) expect(point.departmentCode).toBe(departmentOf.get(point.itemCode));
    // A correction has its deadline; enforcement has none.
    for (const point of data.industry.checklist) expect(point.correctionDays === null).toBe(point.onFailure === 'ENFORCEMENT');
  });

  it('checks a business only for the items it holds a licence for', async () => {
    const items = [
      { itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' },
      { itemCode: 'CO-ALCOHOL-RETAIL', department: 'commerce' },
    ];
    await t.walk.publishIndustry('supervision-food-alcohol', items);
    // The alcohol licence is refused: the permit notes it, and nobody checks it.
    const permit = await t.walk.issuedPermit('supervision-food-alcohol', {}, sampleBusiness(9101), ['CO-ALCOHOL-RETAIL']);
    const data = await graphqlData<{ scanPermit: { items: { itemCode: string; permitted: boolean }[]; checklist: Point[] } }>(
      t.graphqlUrl,
      `query ($c: ID!) { scanPermit(code: $c) { items { itemCode permitted } checklist { ${POINT} } } }`,
      { c: permit.code },
    );
    expect(data.scanPermit.items.map((i) => [i.itemCode, i.permitted])).toEqual([
      ['MR-FOOD-BUSINESS', true],
      ['CO-ALCOHOL-RETAIL', false],
    ]);
    expect(data.scanPermit.checklist.map((p) => p.code)).toEqual(checklistOf(['MR-FOOD-BUSINESS']).map((p) => p.code));
    expect(data.scanPermit.checklist.some((p) => p.itemCode === 'CO-ALCOHOL-RETAIL')).toBe(false);
    // The refused item has points of its own: leaving them out is the rule, not an empty list.
    expect(checklistOf(['CO-ALCOHOL-RETAIL']).length).toBeGreaterThan(0);
  });

  it("lists one department's points, and every department's", async () => {
    const one = await graphqlData<{ checkPoints: Point[] }>(t.graphqlUrl, `{ checkPoints(departmentCode: "commerce") { ${POINT} } }`);
    const commerceItems = new Set(department('commerce')!.items.map((i) => i.code));
    expect(one.checkPoints.length).toBe(department('commerce')!.checkPoints.length);
    for (const point of one.checkPoints) expect(commerceItems.has(point.itemCode)).toBe(true);
    const all = await graphqlData<{ checkPoints: Point[] }>(t.graphqlUrl, `{ checkPoints { code } }`);
    expect(all.checkPoints.length).toBe(departments().reduce((sum, d) => sum + d.checkPoints.length, 0));
  });

  // The industry is the one the test above published.
  it('prints the compliance manual (一业一册): conditions, every check point with its consequence, the admins’ notes', async () => {
    const industry = 'supervision-food-alcohol';
    const before = await fetch(`${t.documentsUrl}/manuals/${industry}`);
    expect(before.status).toBe(200);
    expect(await before.text()).toContain('管理员尚未发布本行业的监管内容');
    await graphqlData(
      t.graphqlUrl,
      'mutation ($input: SupervisionNotesInput!) { publishSupervisionNotes(input: $input) { revision } }',
      { input: { industryCode: industry, sections: [{ titleZh: '双随机抽查', titleEn: 'Random inspections', bodyZh: '每年抽查比例不低于 5%。', bodyEn: 'At least 5% are drawn each year.' }], basedOnRevision: 0, note: '首次发布' } },
      await t.token(t.walk.admin()),
    );
    const zh = await (await fetch(`${t.documentsUrl}/manuals/${industry}`)).text();
    const points = checklistOf(['MR-FOOD-BUSINESS', 'CO-ALCOHOL-RETAIL']);
    for (const point of points) {
      expect(zh).toContain(point.code);
      expect(zh).toContain(point.failureZh);
    }
    const enforcement = points.filter((p) => p.onFailure === 'ENFORCEMENT').length;
    expect(zh.split('依法终止许可证').length - 1).toBe(enforcement);
    expect(zh.split('责令限期改正（').length - 1).toBe(points.length - enforcement);
    for (const condition of department('commerce')!.items.find((i) => i.code === 'CO-ALCOHOL-RETAIL')!.conditions) expect(zh).toContain(condition.zh);
    expect(zh).toContain('双随机抽查');
    expect(zh).toContain('每年抽查比例不低于 5%。');
    const en = await (await fetch(`${t.documentsUrl}/manuals/${industry}?lang=en`)).text();
    expect(en).toContain('Compliance manual for the industry');
    expect(en).toContain('Random inspections');
    expect(en).toContain(points[0].textEn);
    expect((await fetch(`${t.documentsUrl}/manuals/no-such-industry`)).status).toBe(404);
  });
});
