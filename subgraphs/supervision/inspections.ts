import type { Connection, mongo } from 'mongoose';
import { beijingDayNumber, dateOf } from '../../shared/beijing-calendar';
import type { IndexDeclaration } from '../../shared/db';
import { invalidInput, notFound, platformError } from '../../shared/errors';
import type { Identity } from '../../shared/identity';
import { appendStep, insertOnce, readLog, stepId } from '../../shared/records';
import { checklistOf, type CheckPointView } from './checklist';
import { PlanStore, type PlanRecord } from './plans';
import { PermitRegister } from './register';

/**
 * 一查: the joint inspection of one drawn business in one plan
 * (`<planId>/<permitCode>`), as a log of steps inserted once
 * (`<inspectionId>#<n>`): each point recorded (again, until closing: the latest
 * counts), then the closing, which fixes the result and the follow-ups each
 * owning department gets. Only the inspectors the plan drew for a department
 * record that department's points; nothing here asks another subgraph, so a
 * department that is down leaves the others' points recordable.
 */
export type CheckResult = 'PASS' | 'FAIL' | 'NOT_APPLICABLE';

export interface FollowUp {
  id: string;
  inspectionId: string;
  permitCode: string;
  companyName: string;
  departmentCode: string;
  pointCode: string;
  itemCode: string;
  kind: 'CORRECTION' | 'ENFORCEMENT';
  /** CORRECTION: the last day to correct (Beijing calendar days from the closing). */
  dueDate: string | null;
  /** ENFORCEMENT: the licence the department ends through its own endLicence. */
  licenceId: string | null;
}

export type InspectionStep =
  | { _id: string; seq: number; kind: 'RECORDED'; pointCode: string; result: CheckResult; note: string | null; by: string; departmentCode: string; at: Date }
  | { _id: string; seq: number; kind: 'CLOSED'; by: string; at: Date; result: 'PASSED' | 'FAILED'; followUps: FollowUp[]; followUpDepartments: string[] };

type NewStep = InspectionStep extends infer S ? (S extends InspectionStep ? Omit<S, '_id' | 'seq'> : never) : never;

export interface InspectionView {
  id: string;
  plan: PlanRecord;
  business: PlanRecord['businesses'][number];
  /** The items the business's permit holds a licence for, with the licence: its checklist's items. */
  holding: { itemCode: string; licenceId: string | null }[];
  checklist: CheckPointView[];
  /** The latest recording of each point. */
  results: Map<string, Extract<InspectionStep, { kind: 'RECORDED' }>>;
  closed: Extract<InspectionStep, { kind: 'CLOSED' }> | null;
}

export function inspectionId(planId: string, permitCode: string): string {
  return `${planId}/${permitCode}`;
}

export class InspectionStore {
  static readonly indexes: readonly IndexDeclaration[] = [{ collection: 'inspection_steps', keys: { _id: 1 }, serves: "an inspection's log, step by step" }];
  private readonly steps: mongo.Collection<InspectionStep>;
  private readonly plans: PlanStore;
  private readonly register: PermitRegister;

  constructor(db: Connection) {
    this.steps = db.db!.collection<InspectionStep>('inspection_steps');
    this.plans = new PlanStore(db);
    this.register = new PermitRegister(db);
  }

  /** The inspection of a business the plan drew, with its checklist (the items its permit holds, from the register) and what is recorded. */
  async inspection(planId: string, permitCode: string): Promise<{ inspection: InspectionView; seq: number }> {
    const plan = await this.plans.byId(planId);
    if (!plan) throw notFound({ zh: '检查计划', en: 'inspection plan' }, 'planId', planId);
    const business = plan.businesses.find((b) => b.code === permitCode);
    if (!business) throw notFound({ zh: '本计划抽中的经营者', en: 'business drawn in this plan' }, 'permitCode', permitCode);
    const id = inspectionId(planId, permitCode);
    const log = await readLog(this.steps, (n) => stepId(id, n));
    const results = new Map<string, Extract<InspectionStep, { kind: 'RECORDED' }>>();
    let closed: InspectionView['closed'] = null;
    for (const step of log) {
      if (step.kind === 'RECORDED') results.set(step.pointCode, step);
      else closed = step;
    }
    const holding = ((await this.register.version(business.permitId))?.items ?? []).filter((i) => i.permitted).map((i) => ({ itemCode: i.itemCode, licenceId: i.licenceId }));
    return { inspection: { id, plan, business, holding, checklist: checklistOf(holding.map((i) => i.itemCode)), results, closed }, seq: log.length };
  }

  private async append(planId: string, permitCode: string, decide: (inspection: InspectionView) => NewStep): Promise<InspectionView> {
    await appendStep(
      () => this.inspection(planId, permitCode).then(({ inspection, seq }) => ({ state: inspection, seq })),
      (inspection) => {
        if (inspection.closed) throw platformError('WRONG_STATE', '本次检查已结束，不能再记录或结束', 'This inspection is closed: nothing more is recorded', { field: 'permitCode' });
        return decide(inspection);
      },
      (step, seq) => insertOnce(this.steps, { ...step, _id: stepId(inspectionId(planId, permitCode), seq), seq } as InspectionStep),
    );
    return (await this.inspection(planId, permitCode)).inspection;
  }

  async record(identity: Identity, input: { planId: string; permitCode: string; pointCode: string; result: CheckResult; note?: string | null }): Promise<InspectionView> {
    return this.append(input.planId, input.permitCode, (inspection) => {
      const departmentCode = drawnDepartment(identity, inspection.plan);
      const point = inspection.checklist.find((p) => p.code === input.pointCode);
      if (!point) {
        throw invalidInput([{ path: 'input.pointCode', code: 'NOT_ON_CHECKLIST', messageZh: `检查要点 ${input.pointCode} 不在该经营者的检查清单上`, messageEn: `Point ${input.pointCode} is not on this business's checklist` }]);
      }
      if (point.departmentCode !== departmentCode) {
        throw platformError('FORBIDDEN', `检查要点 ${point.code} 由${point.departmentNameZh}记录`, `Point ${point.code} is recorded by ${point.departmentNameEn}`, { field: 'input.pointCode' });
      }
      const note = input.note?.trim() || null;
      if (input.result === 'FAIL' && !note) {
        throw invalidInput([{ path: 'input.note', code: 'REQUIRED', messageZh: '不合格须写明所见事实（证据）', messageEn: 'A failure needs the facts found (the evidence)' }]);
      }
      if (note && [...note].length > 2000) throw invalidInput([{ path: 'input.note', code: 'TOO_LONG', messageZh: '说明最多 2000 字', messageEn: 'A note is at most 2,000 characters' }]);
      return { kind: 'RECORDED', pointCode: point.code, result: input.result, note, by: identity.subject, departmentCode, at: new Date() };
    });
  }

  /** Closes once every point has a result: the result, and a follow-up for each failed point's department. */
  async close(identity: Identity, planId: string, permitCode: string): Promise<InspectionView> {
    return this.append(planId, permitCode, (inspection) => {
      drawnDepartment(identity, inspection.plan);
      const missing = inspection.checklist.filter((p) => !inspection.results.has(p.code)).map((p) => p.code);
      if (missing.length) {
        throw platformError('WRONG_STATE', `尚有 ${missing.length} 个检查要点未记录：${missing.join('、')}`, `${missing.length} point(s) not recorded yet: ${missing.join(', ')}`, { field: 'permitCode' });
      }
      const at = new Date();
      const failed = inspection.checklist.filter((p) => inspection.results.get(p.code)!.result === 'FAIL');
      const followUps: FollowUp[] = failed.map((p) => ({
        id: `${inspection.id}/${p.code}`,
        inspectionId: inspection.id,
        permitCode,
        companyName: inspection.business.companyName,
        departmentCode: p.departmentCode,
        pointCode: p.code,
        itemCode: p.itemCode,
        kind: p.onFailure,
        dueDate: p.onFailure === 'CORRECTION' ? dateOf(beijingDayNumber(at) + (p.correctionDays ?? 0)) : null,
        licenceId: p.onFailure === 'ENFORCEMENT' ? (inspection.holding.find((i) => i.itemCode === p.itemCode)?.licenceId ?? null) : null,
      }));
      return { kind: 'CLOSED', by: identity.subject, at, result: failed.length ? 'FAILED' : 'PASSED', followUps, followUpDepartments: [...new Set(followUps.map((f) => f.departmentCode))] };
    });
  }

  /** A department's follow-ups from closed inspections: a list, read by a field (the whole log on the embedded database). */
  async followUps(departmentCode: string): Promise<FollowUp[]> {
    const closings = await this.steps.find({ kind: 'CLOSED', followUpDepartments: departmentCode } as never).toArray();
    return closings.flatMap((c) => (c.kind === 'CLOSED' ? c.followUps.filter((f) => f.departmentCode === departmentCode) : []));
  }
}

/** The department an inspector opens and records a plan's inspections for: only one the plan drew them for. */
export function drawnDepartment(identity: Identity, plan: PlanRecord): string {
  const department = plan.departments.find((d) => d.departmentCode === identity.department);
  if (identity.role !== 'INSPECTOR' || !department || !department.inspectors.some((i) => i.id === identity.subject)) {
    throw platformError('FORBIDDEN', '只有本计划为本部门抽中的检查人员可以查看和记录', 'Only the inspectors this plan drew for their department may open and record its inspections', { field: 'planId' });
  }
  return department.departmentCode;
}
