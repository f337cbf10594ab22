import { mongo, type Connection } from 'mongoose';
import { beijingDate, beijingDayNumber, beijingToday, dateOf } from '../../shared/beijing-calendar';
import type { IndexDeclaration } from '../../shared/db';
import { invalidInput, notFound, platformError, type FieldProblem } from '../../shared/errors';
import { checkUpload, uploadProblems, type CheckedFile, type FileInput } from '../../shared/uploads';
import { BusinessHistory, type CorrectionEntry } from './history';
import { correctionState } from './grades';
import type { Identity } from '../../shared/identity';
import { appendStep, byId, insertOnce, readLog, stepId } from '../../shared/records';
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
  permitId: string;
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

/** A file an inspector attached to a point (a photo, a scanned record), stored once by its content hash. */
export interface EvidenceRef {
  sha256: string;
  name: string;
  size: number;
  mediaType: string;
}

export const MAX_EVIDENCE_FILES = 5;

export interface FollowUpView extends FollowUp {
  status: 'OPEN' | 'OVERDUE' | 'CORRECTED' | 'CORRECTED_LATE' | 'ENFORCED';
  correction: CorrectionEntry | null;
}

export type InspectionStep =
  | { _id: string; seq: number; kind: 'RECORDED'; pointCode: string; result: CheckResult; note: string | null; evidence: EvidenceRef[]; by: string; departmentCode: string; at: Date }
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
  static readonly indexes: readonly IndexDeclaration[] = [
    { collection: 'inspection_steps', keys: { _id: 1 }, serves: "an inspection's log, step by step" },
    { collection: 'inspection_evidence', keys: { _id: 1 }, serves: 'an evidence file, by its content hash' },
  ];
  private readonly steps: mongo.Collection<InspectionStep>;
  private readonly evidence: mongo.Collection<{ _id: string; data: Buffer | mongo.Binary; size: number; mediaType: string }>;
  private readonly history: BusinessHistory;
  private readonly plans: PlanStore;
  private readonly register: PermitRegister;

  constructor(db: Connection) {
    this.steps = db.db!.collection<InspectionStep>('inspection_steps');
    this.evidence = db.db!.collection('inspection_evidence');
    this.history = new BusinessHistory(db);
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

  /** Appends a step decided by an inspector the plan drew (checked first, so nobody else learns even whether it is closed). */
  private async append(identity: Identity, planId: string, permitCode: string, decide: (inspection: InspectionView, departmentCode: string) => NewStep | Promise<NewStep>): Promise<InspectionView> {
    await appendStep(
      () => this.inspection(planId, permitCode).then(({ inspection, seq }) => ({ state: inspection, seq })),
      (inspection) => {
        const departmentCode = drawnDepartment(identity, inspection.plan);
        if (inspection.closed) throw platformError('WRONG_STATE', '本次检查已结束，不能再记录或结束', 'This inspection is closed: nothing more is recorded', { field: 'permitCode' });
        return decide(inspection, departmentCode);
      },
      (step, seq) => insertOnce(this.steps, { ...step, _id: stepId(inspectionId(planId, permitCode), seq), seq } as InspectionStep),
    );
    return (await this.inspection(planId, permitCode)).inspection;
  }

  async record(identity: Identity, input: { planId: string; permitCode: string; pointCode: string; result: CheckResult; note?: string | null; evidence?: FileInput[] | null }): Promise<InspectionView> {
    const { note, files } = checkRecording(input);
    return this.append(identity, input.planId, input.permitCode, async (inspection, departmentCode) => {
      const point = inspection.checklist.find((p) => p.code === input.pointCode);
      if (!point) {
        throw invalidInput([{ path: 'input.pointCode', code: 'NOT_ON_CHECKLIST', messageZh: `检查要点 ${input.pointCode} 不在该经营者的检查清单上`, messageEn: `Point ${input.pointCode} is not on this business's checklist` }]);
      }
      if (point.departmentCode !== departmentCode) {
        throw platformError('FORBIDDEN', `检查要点 ${point.code} 由${point.departmentNameZh}记录`, `Point ${point.code} is recorded by ${point.departmentNameEn}`, { field: 'input.pointCode' });
      }
      // Stored only once everything else is accepted; by content, so a retry stores nothing twice.
      for (const file of files) await insertOnce(this.evidence, { _id: file.sha256, data: file.bytes, size: file.size, mediaType: file.mediaType });
      const evidence = files.map(({ sha256, name, size, mediaType }) => ({ sha256, name, size, mediaType }));
      return { kind: 'RECORDED', pointCode: point.code, result: input.result, note, evidence, by: identity.subject, departmentCode, at: new Date() };
    });
  }

  /** Closes once every point has a result: the result, and a follow-up for each failed point's department. */
  async close(identity: Identity, planId: string, permitCode: string): Promise<InspectionView> {
    let closed: InspectionView;
    try {
      closed = await this.closeOnce(identity, planId, permitCode);
    } catch (error) {
      // Closed already: make sure its business's history has it (a crash may have come between the two writes), then refuse.
      const { inspection } = await this.inspection(planId, permitCode);
      if (inspection.closed && drawnBy(identity, inspection.plan)) await this.publish(inspection);
      throw error;
    }
    await this.publish(closed);
    return closed;
  }

  /** A closed inspection in its business's history: what the public scan, the grade and the figures read. */
  private async publish(inspection: InspectionView): Promise<void> {
    const closing = inspection.closed!;
    const version = await this.register.version(inspection.business.permitId);
    if (!version) return;
    await this.history.addInspection({
      applicationId: version.applicationId,
      inspectionId: inspection.id,
      planId: inspection.plan._id,
      industryCode: inspection.plan.industryCode,
      permitCode: inspection.business.code,
      closedAt: closing.at,
      result: closing.result,
      points: inspection.checklist.map((p) => ({ pointCode: p.code, result: inspection.results.get(p.code)!.result })),
      departmentCodes: [...new Set(inspection.checklist.map((p) => p.departmentCode))],
      followUps: closing.followUps,
    });
  }

  private async closeOnce(identity: Identity, planId: string, permitCode: string): Promise<InspectionView> {
    return this.append(identity, planId, permitCode, (inspection) => {
      const missing = inspection.checklist.filter((p) => !inspection.results.has(p.code)).map((p) => p.code);
      if (missing.length) {
        throw platformError('WRONG_STATE', `尚有 ${missing.length} 个检查要点未记录：${missing.join('、')}`, `${missing.length} point(s) not recorded yet: ${missing.join(', ')}`, { field: 'permitCode' });
      }
      const at = new Date();
      const failed = inspection.checklist.filter((p) => inspection.results.get(p.code)!.result === 'FAIL');
      const followUps: FollowUp[] = failed.map((p) => ({
        id: `${inspection.id}/${p.code}`,
        inspectionId: inspection.id,
        permitId: inspection.business.permitId,
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

  /**
   * An evidence file of a recorded point, with its content: for admins, and for the
   * reviewers and inspectors of the department owning the point (who act on it).
   */
  async evidenceFile(identity: Identity, inspection: string, pointCode: string, sha256: string): Promise<EvidenceRef & { contentBase64: string }> {
    const [planId, permitCode] = inspection.split('/');
    if (!planId || !permitCode) throw notFound({ zh: '检查', en: 'inspection' }, 'inspectionId', inspection);
    const { inspection: found } = await this.inspection(planId, permitCode);
    const recorded = found.results.get(pointCode);
    const ref = recorded?.evidence.find((e) => e.sha256 === sha256);
    if (!recorded || !ref) throw notFound({ zh: '证据文件', en: 'evidence file' }, 'sha256', sha256);
    if (identity.role !== 'ADMIN' && identity.department !== recorded.departmentCode) {
      throw platformError('FORBIDDEN', '只有负责该要点的部门和管理员可以查看证据', 'Only the department owning the point and admins see its evidence', { field: 'pointCode' });
    }
    const file = await byId(this.evidence, sha256);
    if (!file) throw notFound({ zh: '证据文件', en: 'evidence file' }, 'sha256', sha256);
    // The driver hands stored bytes back as BSON Binary.
    const bytes = file.data instanceof mongo.Binary ? Buffer.from(file.data.read(0, file.data.length())) : Buffer.from(file.data);
    return { ...ref, contentBase64: bytes.toString('base64') };
  }

  /** The inspections of this permit in the plans that drew it, newest plan first: what an inspector gets on scanning its code. */
  async ofPermit(permitCode: string): Promise<InspectionView[]> {
    const plans = await this.plans.drawing(permitCode);
    return Promise.all(plans.map(async (plan) => (await this.inspection(plan._id, permitCode)).inspection));
  }

  /** A follow-up by id (`<planId>/<permitCode>/<pointCode>`), from its closed inspection. */
  async followUp(followUpId: string): Promise<FollowUp | null> {
    const [planId, permitCode, pointCode] = followUpId.split('/');
    if (!planId || !permitCode || !pointCode) return null;
    const plan = await this.plans.byId(planId);
    if (!plan?.businesses.some((b) => b.code === permitCode)) return null;
    const { inspection } = await this.inspection(planId, permitCode);
    return inspection.closed?.followUps.find((f) => f.id === followUpId) ?? null;
  }

  /** Where each follow-up stands: a correction confirmed (on time or late) or overdue; an enforcement done when the licence has ended. */
  async withStatus(followUps: FollowUp[], today: string): Promise<FollowUpView[]> {
    const corrections = await this.history.corrections(followUps.map((f) => f.id));
    return Promise.all(
      followUps.map(async (f) => {
        const correction = corrections.get(f.id) ?? null;
        let status: FollowUpView['status'];
        if (f.kind === 'ENFORCEMENT') {
          const ended = (await this.register.endingsOf(f.permitId)).some((e) => e.licenceId === f.licenceId);
          status = ended ? 'ENFORCED' : 'OPEN';
        } else status = correctionState(f.dueDate!, correction ? beijingDate(correction.at) : null, today);
        return { ...f, status, correction };
      }),
    );
  }

  /** The owning department confirms a correction order was complied with: once, with what it found. */
  async recordCorrection(identity: Identity, followUpId: string, note: string): Promise<FollowUpView> {
    const text = note.trim();
    if (!text || [...text].length > 2000) throw invalidInput([{ path: 'note', code: text ? 'TOO_LONG' : 'REQUIRED', messageZh: '请写明改正情况（最多 2000 字）', messageEn: 'Say what was corrected (at most 2,000 characters)' }]);
    const followUp = await this.followUp(followUpId);
    if (!followUp) throw notFound({ zh: '后续处理', en: 'follow-up' }, 'followUpId', followUpId);
    if (identity.department !== followUp.departmentCode) {
      throw platformError('FORBIDDEN', '只有负责该要点的部门可以确认改正', 'Only the department owning the point confirms its correction', { field: 'followUpId' });
    }
    if (followUp.kind !== 'CORRECTION') {
      throw platformError('WRONG_STATE', '依法处理以部门的终止许可（endLicence）办理，不在此确认', 'Enforcement is done with the department’s endLicence, not confirmed here', { field: 'followUpId' });
    }
    if (!(await this.history.addCorrection({ followUpId, departmentCode: followUp.departmentCode, note: text, by: identity.subject, at: new Date() }))) {
      throw platformError('WRONG_STATE', '该限期改正已确认过', 'This correction is already confirmed', { field: 'followUpId' });
    }
    return (await this.withStatus([followUp], beijingToday()))[0];
  }

  /** A department's follow-ups from closed inspections: a list, read by a field (the whole log on the embedded database). */
  async followUps(departmentCode: string): Promise<FollowUp[]> {
    const closings = await this.steps.find({ kind: 'CLOSED', followUpDepartments: departmentCode } as never).toArray();
    return closings.flatMap((c) => (c.kind === 'CLOSED' ? c.followUps.filter((f) => f.departmentCode === departmentCode) : []));
  }
}

/** What a recording brings, checked before anything is read: the note (the facts found) and the evidence files (type by content, size, name; at most five). A failure needs both. */
function checkRecording(input: { result: CheckResult; note?: string | null; evidence?: FileInput[] | null }): { note: string | null; files: CheckedFile[] } {
  const problems: FieldProblem[] = [];
  const note = input.note?.trim() || null;
  const files = input.evidence ?? [];
  const result = input.result;
  if (result === 'FAIL' && !note) problems.push({ path: 'input.note', code: 'REQUIRED', messageZh: '不合格须写明所见事实', messageEn: 'A failure needs the facts found' });
  if (note && [...note].length > 2000) problems.push({ path: 'input.note', code: 'TOO_LONG', messageZh: '说明最多 2000 字', messageEn: 'A note is at most 2,000 characters' });
  if (files.length > MAX_EVIDENCE_FILES) problems.push({ path: 'input.evidence', code: 'TOO_MANY', messageZh: `每个要点最多 ${MAX_EVIDENCE_FILES} 个证据文件`, messageEn: `At most ${MAX_EVIDENCE_FILES} evidence files per point` });
  if (result === 'FAIL' && files.length === 0) problems.push({ path: 'input.evidence', code: 'REQUIRED', messageZh: '不合格须附证据（照片或记录）', messageEn: 'A failure needs evidence attached (a photo or a record)' });
  files.slice(0, MAX_EVIDENCE_FILES).forEach((file, i) => problems.push(...uploadProblems(file, `input.evidence.${i}`)));
  if (problems.length) throw invalidInput(problems);
  return { note, files: files.map((file, i) => checkUpload(file, `input.evidence.${i}`)) };
}

/** Whether the plan drew this inspector for their department. */
export function drawnBy(identity: Identity, plan: PlanRecord): boolean {
  const department = plan.departments.find((d) => d.departmentCode === identity.department);
  return identity.role === 'INSPECTOR' && Boolean(department?.inspectors.some((i) => i.id === identity.subject));
}

/** The department an inspector opens and records a plan's inspections for: only one the plan drew them for. */
export function drawnDepartment(identity: Identity, plan: PlanRecord): string {
  if (!drawnBy(identity, plan)) {
    throw platformError('FORBIDDEN', '只有本计划为本部门抽中的检查人员可以查看和记录', 'Only the inspectors this plan drew for their department may open and record its inspections', { field: 'planId' });
  }
  return identity.department!;
}
