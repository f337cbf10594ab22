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
});
