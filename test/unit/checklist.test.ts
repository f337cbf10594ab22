import { departments, type Department } from '../../shared/registry';
import { allCheckPoints, checklistOf, checkPointProblems } from '../../subgraphs/supervision/checklist';

describe('the departments’ check points (一单)', () => {
  it('fit their departments: every item has points, every point its item, codes unique, a deadline exactly for corrections', () => {
    expect(checkPointProblems()).toEqual([]);
    for (const d of departments()) for (const item of d.items) expect(d.checkPoints.filter((p) => p.itemCode === item.code).length).toBeGreaterThanOrEqual(2);
  });

  it('names what is wrong in a department’s file', () => {
    const base = departments().find((d) => d.code === 'commerce')!;
    const [first, second] = base.checkPoints;
    const broken: Department = {
      ...base,
      checkPoints: [
        { ...first },
        { ...second, code: first.code },
        { ...first, code: 'MR-FOOD-BUSINESS-09', itemCode: 'MR-FOOD-BUSINESS' },
        { ...first, code: `${first.itemCode}-07`, onFailure: 'CORRECTION', correctionDays: undefined },
        { ...first, code: `${first.itemCode}-08`, onFailure: 'ENFORCEMENT', correctionDays: 10 },
        { ...first, code: `${first.itemCode}-06`, textZh: ' ' },
      ],
    };
    const problems = checkPointProblems([broken]).join('\n');
    expect(problems).toContain(`${first.code}: code used twice`);
    expect(problems).toContain('item MR-FOOD-BUSINESS is not commerce');
    expect(problems).toContain(`${first.itemCode}-07: a correction needs correctionDays`);
    expect(problems).toContain(`${first.itemCode}-08: enforcement has no correction days`);
    expect(problems).toContain(`${first.itemCode}-06: textZh is empty`);
    // The commerce item whose points were all replaced has none left.
    const uncovered = base.items.filter((i) => ![first.itemCode, 'MR-FOOD-BUSINESS'].includes(i.code));
    for (const item of uncovered) expect(problems).toContain(`commerce: item ${item.code} has no check points`);
  });

  it('merges the points of several items in the items’ order, each item once, unknown items adding nothing', () => {
    const a = allCheckPoints().filter((p) => p.itemCode === 'FR-FIRE-CHECK');
    const b = allCheckPoints().filter((p) => p.itemCode === 'MR-FOOD-BUSINESS');
    expect(checklistOf(['FR-FIRE-CHECK', 'NO-SUCH-ITEM', 'MR-FOOD-BUSINESS', 'FR-FIRE-CHECK'])).toEqual([...a, ...b]);
    expect(checklistOf([])).toEqual([]);
  });
});
