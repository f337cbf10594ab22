import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseRiskOf, GRADE_RULE, gradeOf, listedIndustryRisks, type GradeInputs } from '../../subgraphs/supervision/grades';

/** 一评: each grade recomputed by hand from its inputs under the written rule. */
describe('risk grades', () => {
  const TODAY = '2026-12-03';
  const clean: GradeInputs = {
    industryCode: 'bookstore',
    baseRisk: 'LOW',
    lastInspection: { inspectionId: 'bookstore:2026-06/P1', closedOn: '2026-06-10', result: 'PASSED' },
    corrections: [],
    licencesEnded: [],
    complaintDates: [],
  };
  const points = (inputs: GradeInputs) => Object.fromEntries(gradeOf(inputs, TODAY).factors.map((f) => [f.factor, f.points]));

  it('gives a low-risk business that passed its last inspection an A, inspected half as often as a B', () => {
    expect(gradeOf(clean, TODAY)).toMatchObject({ grade: 'A', score: 0, weight: 0.5 });
    expect(gradeOf({ ...clean, baseRisk: 'MEDIUM' }, TODAY)).toMatchObject({ grade: 'A', score: 10, weight: 0.5 });
    expect(gradeOf({ ...clean, baseRisk: 'HIGH' }, TODAY)).toMatchObject({ grade: 'B', score: 20, weight: 1 });
  });

  it('scores a business never inspected as unknown, and a failed last inspection higher', () => {
    expect(points({ ...clean, lastInspection: null }).INSPECTION).toBe(10);
    expect(points({ ...clean, lastInspection: { ...clean.lastInspection!, result: 'FAILED' } }).INSPECTION).toBe(20);
  });

  it('counts a correction overdue 15 and one done late 5; one not yet due or done on time nothing', () => {
    const corrections = [
      { followUpId: 'overdue', dueDate: '2026-11-30', correctedOn: null },
      { followUpId: 'late', dueDate: '2026-11-01', correctedOn: '2026-11-05' },
      { followUpId: 'on-time', dueDate: '2026-11-01', correctedOn: '2026-11-01' },
      { followUpId: 'not-yet-due', dueDate: '2026-12-03', correctedOn: null },
    ];
    expect(points({ ...clean, corrections }).CORRECTIONS).toBe(15 + 5);
  });

  it('counts revoked and annulled licences, not those that lapsed or were given up', () => {
    const licencesEnded = ['REVOKED', 'ANNULLED', 'LAPSED', 'CANCELLED', 'WITHDRAWN'].map((ending, i) => ({ licenceId: `l${i}`, ending }));
    expect(points({ ...clean, licencesEnded }).LICENCES_ENDED).toBe(50);
  });

  it("counts the last 365 days' complaints, 5 each, at most 20", () => {
    expect(points({ ...clean, complaintDates: ['2026-12-03', '2025-12-04'] }).COMPLAINTS).toBe(10);
    expect(points({ ...clean, complaintDates: ['2025-12-03'] }).COMPLAINTS).toBe(0); // 365 days ago: out
    expect(points({ ...clean, complaintDates: Array(9).fill('2026-11-01') }).COMPLAINTS).toBe(20);
  });

  it('puts each score in its band, the bands at their edges', () => {
    // HIGH 20 + failed 20 = 40 → C; + one complaint 45 → C; + two 50 → D.
    const failed = { ...clean, baseRisk: 'HIGH' as const, lastInspection: { ...clean.lastInspection!, result: 'FAILED' as const } };
    expect(gradeOf(failed, TODAY)).toMatchObject({ score: 40, grade: 'C', weight: 2 });
    expect(gradeOf({ ...failed, complaintDates: ['2026-12-01'] }, TODAY)).toMatchObject({ score: 45, grade: 'C' });
    expect(gradeOf({ ...failed, complaintDates: ['2026-12-01', '2026-12-02'] }, TODAY)).toMatchObject({ score: 50, grade: 'D', weight: 4 });
    // MEDIUM 10 + unknown 10 + one late correction 5 = 25 → B; one complaint more 30 → C.
    const ordinary = { ...clean, baseRisk: 'MEDIUM' as const, lastInspection: null, corrections: [{ followUpId: 'x', dueDate: '2026-10-01', correctedOn: '2026-10-02' }] };
    expect(gradeOf(ordinary, TODAY)).toMatchObject({ score: 25, grade: 'B' });
    expect(gradeOf({ ...ordinary, complaintDates: ['2026-11-01'] }, TODAY)).toMatchObject({ score: 30, grade: 'C' });
  });

  it('explains every point of the score, and the score is their sum', () => {
    const busy: GradeInputs = { ...clean, baseRisk: 'HIGH', corrections: [{ followUpId: 'o', dueDate: '2026-01-01', correctedOn: null }], complaintDates: ['2026-10-10'], licencesEnded: [{ licenceId: 'l', ending: 'REVOKED' }] };
    const graded = gradeOf(busy, TODAY);
    expect(graded.factors.reduce((sum, f) => sum + f.points, 0)).toBe(graded.score);
    expect(graded.score).toBe(20 + 0 + 15 + 25 + 5);
    expect(graded.factors.every((f) => f.detailZh && f.detailEn)).toBe(true);
    expect(graded.ruleVersion).toBe(GRADE_RULE.version);
  });

  it("names only industries of the catalogue in the base-risk table; any other is MEDIUM", () => {
    const catalogue = JSON.parse(readFileSync(join(__dirname, '../../subgraphs/applications/catalogue/industries.json'), 'utf8')) as { code: string }[] | { industries: { code: string }[] };
    const codes = new Set((Array.isArray(catalogue) ? catalogue : catalogue.industries).map((i) => i.code));
    expect(listedIndustryRisks().filter((c) => !codes.has(c))).toEqual([]);
    expect(baseRiskOf('ktv')).toBe('HIGH');
    expect(baseRiskOf('bookstore')).toBe('LOW');
    expect(baseRiskOf('restaurant')).toBe('MEDIUM');
  });
});
