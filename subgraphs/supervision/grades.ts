import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'mongoose';
import { beijingDate, dayNumber } from '../../shared/beijing-calendar';
import { BusinessHistory } from './history';
import { PermitRegister } from './register';

/**
 * 一评: a business's credit-and-risk grade, A (best) to D, from five inputs by
 * one written rule (`GRADE_RULE`), so that anyone can recompute a grade from
 * its factors. The grade sets how often the business is drawn for a joint
 * inspection (tiered supervision): its weight in the draw.
 *
 *   industry base risk     LOW 0 · MEDIUM 10 · HIGH 20
 *   last joint inspection  none yet 10 · FAILED 20 · PASSED 0
 *   corrections            overdue and not done 15 each · done late 5 each
 *   licences ended         revoked or annulled 25 each
 *   complaints             5 each in the 365 days up to today, at most 20
 *
 *   score ≤ 10: A (weight 0.5) · ≤ 25: B (1) · ≤ 45: C (2) · above: D (4)
 */
export type Grade = 'A' | 'B' | 'C' | 'D';
export type BaseRisk = 'LOW' | 'MEDIUM' | 'HIGH';

export const GRADE_RULE = {
  version: 1,
  baseRisk: { LOW: 0, MEDIUM: 10, HIGH: 20 } as Record<BaseRisk, number>,
  neverInspected: 10,
  lastInspectionFailed: 20,
  correctionOverdue: 15,
  correctionLate: 5,
  licenceEnded: 25,
  endingsCounted: ['REVOKED', 'ANNULLED'],
  complaint: 5,
  complaintsMax: 20,
  complaintDays: 365,
  /** The highest score of each grade, best first; above the last is D. */
  bands: [
    ['A', 10],
    ['B', 25],
    ['C', 45],
  ] as [Grade, number][],
  weight: { A: 0.5, B: 1, C: 2, D: 4 } as Record<Grade, number>,
};

export interface GradeInputs {
  industryCode: string;
  baseRisk: BaseRisk;
  lastInspection: { inspectionId: string; closedOn: string; result: 'PASSED' | 'FAILED' } | null;
  /** Every correction order the business was given, with the day it was confirmed done (null: not yet). */
  corrections: { followUpId: string; dueDate: string; correctedOn: string | null }[];
  /** Every licence of its permit that ended, how (only revocation and annulment count). */
  licencesEnded: { licenceId: string; ending: string }[];
  /** The days complaints against it were received. */
  complaintDates: string[];
}

export interface GradeFactor {
  factor: 'BASE_RISK' | 'INSPECTION' | 'CORRECTIONS' | 'LICENCES_ENDED' | 'COMPLAINTS';
  points: number;
  detailZh: string;
  detailEn: string;
}

export interface GradeView {
  grade: Grade;
  score: number;
  weight: number;
  factors: GradeFactor[];
  ruleVersion: number;
  inputs: GradeInputs;
}

/** Where a correction order stands on `today`: confirmed done by its due date or after, overdue, or not yet due. */
export type CorrectionState = 'CORRECTED' | 'CORRECTED_LATE' | 'OVERDUE' | 'OPEN';
export function correctionState(dueDate: string, correctedOn: string | null, today: string): CorrectionState {
  if (correctedOn) return correctedOn <= dueDate ? 'CORRECTED' : 'CORRECTED_LATE';
  return dueDate < today ? 'OVERDUE' : 'OPEN';
}

/** The grade from its inputs on `today` (YYYY-MM-DD, Beijing): every point it scores is a factor saying why. */
export function gradeOf(inputs: GradeInputs, today: string): GradeView {
  const rule = GRADE_RULE;
  const todayNum = dayNumber(today);
  const factors: GradeFactor[] = [];
  const base = rule.baseRisk[inputs.baseRisk];
  factors.push({ factor: 'BASE_RISK', points: base, detailZh: `行业基础风险 ${inputs.baseRisk}`, detailEn: `Industry base risk ${inputs.baseRisk}` });

  const last = inputs.lastInspection;
  if (!last) factors.push({ factor: 'INSPECTION', points: rule.neverInspected, detailZh: '尚未接受联合检查', detailEn: 'Not yet jointly inspected' });
  else
    factors.push({
      factor: 'INSPECTION',
      points: last.result === 'FAILED' ? rule.lastInspectionFailed : 0,
      detailZh: `最近一次联合检查 ${last.closedOn}：${last.result === 'FAILED' ? '不合格' : '合格'}`,
      detailEn: `Last joint inspection ${last.closedOn}: ${last.result === 'FAILED' ? 'failed' : 'passed'}`,
    });

  const states = inputs.corrections.map((c) => correctionState(c.dueDate, c.correctedOn, today));
  const overdue = states.filter((c) => c === 'OVERDUE').length;
  const late = states.filter((c) => c === 'CORRECTED_LATE').length;
  factors.push({
    factor: 'CORRECTIONS',
    points: overdue * rule.correctionOverdue + late * rule.correctionLate,
    detailZh: `逾期未改正 ${overdue} 项，逾期改正 ${late} 项（共 ${inputs.corrections.length} 项限期改正）`,
    detailEn: `${overdue} correction(s) overdue, ${late} done late (of ${inputs.corrections.length})`,
  });

  const ended = inputs.licencesEnded.filter((l) => rule.endingsCounted.includes(l.ending)).length;
  factors.push({ factor: 'LICENCES_ENDED', points: ended * rule.licenceEnded, detailZh: `被吊销或撤销的许可 ${ended} 项`, detailEn: `${ended} licence(s) revoked or annulled` });

  const recent = inputs.complaintDates.filter((d) => todayNum - dayNumber(d) < rule.complaintDays && dayNumber(d) <= todayNum).length;
  factors.push({
    factor: 'COMPLAINTS',
    points: Math.min(recent * rule.complaint, rule.complaintsMax),
    detailZh: `近 ${rule.complaintDays} 天投诉举报 ${recent} 件`,
    detailEn: `${recent} complaint(s) in the last ${rule.complaintDays} days`,
  });

  const score = factors.reduce((sum, f) => sum + f.points, 0);
  const grade = rule.bands.find(([, max]) => score <= max)?.[0] ?? 'D';
  return { grade, score, weight: rule.weight[grade], factors, ruleVersion: rule.version, inputs };
}

const INDUSTRY_RISK = JSON.parse(readFileSync(join(__dirname, 'industry-risk.json'), 'utf8')) as { industries: Record<string, { risk: BaseRisk; reasonZh: string; reasonEn: string }> };

/** An industry's base risk; an industry the table does not list is MEDIUM. */
export function baseRiskOf(industryCode: string): BaseRisk {
  return INDUSTRY_RISK.industries[industryCode]?.risk ?? 'MEDIUM';
}

export function listedIndustryRisks(): string[] {
  return Object.keys(INDUSTRY_RISK.industries);
}

/** The inputs of the grade of the business holding this permit version, from the register and its history. */
export async function gradeInputs(db: Connection, permitId: string): Promise<GradeInputs | null> {
  const register = new PermitRegister(db);
  const version = await register.version(permitId);
  if (!version) return null;
  const history = new BusinessHistory(db);
  const [inspections, complaints, licencesEnded] = await Promise.all([history.inspections(version.applicationId), history.complaintsAgainst(version.applicationId), register.endingsOf(permitId)]);
  const orders = inspections.flatMap((i) => i.followUps.filter((f) => f.kind === 'CORRECTION' && f.dueDate));
  const done = await history.corrections(orders.map((f) => f.id));
  const last = inspections.at(-1);
  return {
    industryCode: version.industryCode,
    baseRisk: baseRiskOf(version.industryCode),
    lastInspection: last ? { inspectionId: last.inspectionId, closedOn: beijingDate(last.closedAt), result: last.result } : null,
    corrections: orders.map((f) => ({ followUpId: f.id, dueDate: f.dueDate!, correctedOn: done.has(f.id) ? beijingDate(done.get(f.id)!.at) : null })),
    licencesEnded,
    complaintDates: complaints.map((c) => beijingDate(c.at)),
  };
}

/** Today's grade of the business holding this permit version; null for a version supervision has not registered. */
export async function currentGrade(db: Connection, permitId: string): Promise<GradeView | null> {
  const inputs = await gradeInputs(db, permitId);
  return inputs ? gradeOf(inputs, beijingDate(new Date())) : null;
}
