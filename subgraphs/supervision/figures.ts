import type { Connection } from 'mongoose';
import { beijingDate, beijingToday } from '../../shared/beijing-calendar';
import { allCheckPoints } from './checklist';
import { correctionState, currentGrade, type Grade } from './grades';
import { BusinessHistory } from './history';
import { PermitRegister } from './register';

/**
 * The analysts' figures on supervision for one year (Beijing calendar, by the
 * day an inspection closed), every one a count an auditor can recompute from
 * the inspections listed:
 *
 * - visits: a joint inspection is one visit; without it, each department whose
 *   points were checked would have visited on its own;
 * - failure rate of each check point: failed / (passed + failed), not-applicable
 *   apart;
 * - grades today of the valid permit holders, per industry;
 * - the year's correction orders: confirmed on time, late, overdue, not yet due.
 */
export interface SupervisionFigures {
  year: number;
  industryCode: string | null;
  inspections: number;
  businessesInspected: number;
  visitsWithJointInspection: number;
  visitsWithoutJointInspection: number;
  visitsPerBusinessWithJointInspection: number | null;
  visitsPerBusinessWithoutJointInspection: number | null;
  failureRates: { pointCode: string; itemCode: string; departmentCode: string; passed: number; failed: number; notApplicable: number; rate: number | null }[];
  grades: { industryCode: string; counts: { grade: Grade; count: number }[] }[];
  corrections: { ordered: number; correctedOnTime: number; correctedLate: number; overdue: number; notYetDue: number; onTimeRate: number | null };
}

export async function supervisionFigures(db: Connection, year: number, industryCode: string | null): Promise<SupervisionFigures> {
  const history = new BusinessHistory(db);
  const inspections = (await history.allInspections()).filter((i) => beijingDate(i.closedAt).startsWith(`${year}-`) && (!industryCode || i.industryCode === industryCode));

  const points = new Map(allCheckPoints().map((p) => [p.code, p]));
  const rates = new Map<string, { passed: number; failed: number; notApplicable: number }>();
  for (const point of inspections.flatMap((i) => i.points)) {
    const r = rates.get(point.pointCode) ?? { passed: 0, failed: 0, notApplicable: 0 };
    if (point.result === 'PASS') r.passed++;
    else if (point.result === 'FAIL') r.failed++;
    else r.notApplicable++;
    rates.set(point.pointCode, r);
  }

  const orders = inspections.flatMap((i) => i.followUps.filter((f) => f.kind === 'CORRECTION' && f.dueDate));
  const done = await history.corrections(orders.map((f) => f.id));
  const today = beijingToday();
  const corrections = { ordered: orders.length, correctedOnTime: 0, correctedLate: 0, overdue: 0, notYetDue: 0 };
  for (const order of orders) {
    const correction = done.get(order.id);
    const state = correctionState(order.dueDate!, correction ? beijingDate(correction.at) : null, today);
    if (state === 'CORRECTED') corrections.correctedOnTime++;
    else if (state === 'CORRECTED_LATE') corrections.correctedLate++;
    else if (state === 'OVERDUE') corrections.overdue++;
    else corrections.notYetDue++;
  }
  const settled = corrections.correctedOnTime + corrections.correctedLate + corrections.overdue;

  const holders = (await new PermitRegister(db).ofIndustry(industryCode ?? undefined)).filter((p) => p.status === 'VALID');
  const grades = new Map<string, Record<Grade, number>>();
  for (const holder of holders) {
    const grade = (await currentGrade(db, holder.permitId))!.grade;
    const counts = grades.get(holder.industryCode) ?? { A: 0, B: 0, C: 0, D: 0 };
    counts[grade]++;
    grades.set(holder.industryCode, counts);
  }

  const businesses = new Set(inspections.map((i) => i.applicationId)).size;
  const separate = inspections.reduce((sum, i) => sum + i.departmentCodes.length, 0);
  return {
    year,
    industryCode,
    inspections: inspections.length,
    businessesInspected: businesses,
    visitsWithJointInspection: inspections.length,
    visitsWithoutJointInspection: separate,
    visitsPerBusinessWithJointInspection: businesses ? inspections.length / businesses : null,
    visitsPerBusinessWithoutJointInspection: businesses ? separate / businesses : null,
    failureRates: [...rates]
      .map(([pointCode, r]) => ({
        pointCode,
        itemCode: points.get(pointCode)?.itemCode ?? '',
        departmentCode: points.get(pointCode)?.departmentCode ?? '',
        ...r,
        rate: r.passed + r.failed ? r.failed / (r.passed + r.failed) : null,
      }))
      .sort((a, b) => (b.rate ?? -1) - (a.rate ?? -1) || a.pointCode.localeCompare(b.pointCode)),
    grades: [...grades]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([code, counts]) => ({ industryCode: code, counts: (['A', 'B', 'C', 'D'] as Grade[]).map((grade) => ({ grade, count: counts[grade] })) })),
    corrections: { ...corrections, onTimeRate: settled ? corrections.correctedOnTime / settled : null },
  };
}
