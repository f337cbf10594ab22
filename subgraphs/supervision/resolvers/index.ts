import { requireRole, type Identity } from '../../../shared/identity';
import { checkPlanInput, checkRosterInput, planId, PlanStore, reproduces, type PlanRecord, type RosterRevision } from '../plans';
import { allCheckPoints, checklistOf, type CheckPointView } from '../checklist';
import { checkNotesInput, NotesStore, type NotesRevision } from '../notes';
import { PermitRegister, type SupervisedPermitView } from '../register';
import { drawnBy, drawnDepartment, InspectionStore, type FollowUpView, type InspectionView } from '../inspections';
import { beijingDate, beijingToday } from '../../../shared/beijing-calendar';
import { invalidInput, platformError } from '../../../shared/errors';
import { normaliseCode } from '../../../shared/permit-code';
import { submitComplaint } from '../complaints';
import { supervisionFigures } from '../figures';
import { currentGrade, type GradeView } from '../grades';
import { BusinessHistory, type ComplaintEntry } from '../history';
import type { Resolvers } from '../__generated__/resolver-types';

export type RiskGradeView = GradeView & { permitCode: string };

/** What the gateway hands with a reference: the key and the fields this subgraph @requires. */
interface IndustryReference {
  code: string;
  items?: { item: { code: string } }[];
}
interface PermitReference {
  id: string;
  items?: { itemCode: string; permitted: boolean }[];
}

/** Staff bound to a department (reviewers, inspectors) see only their own department's; admins see every department's. */
function requireOwnDepartment(identity: Identity, departmentCode: string, refusal: { zh: string; en: string }): void {
  if (identity.role !== 'ADMIN' && identity.department !== departmentCode) throw platformError('FORBIDDEN', refusal.zh, refusal.en);
}

const rosterView = (roster: RosterRevision) => ({ departmentCode: roster.departmentCode, revision: roster.seq, inspectors: roster.inspectors, publishedAt: roster.at.toISOString() });

const notesView = (revision: NotesRevision) => ({
  industryCode: revision.industryCode,
  revision: revision.seq,
  sections: revision.sections,
  note: revision.note,
  publishedAt: revision.at.toISOString(),
});

export function supervisionResolvers(): Resolvers {
  return {
    Query: {
      // Public: the checklists are published (一公开), as the guide is.
      checkPoints: (_parent, { departmentCode }) => allCheckPoints().filter((p) => !departmentCode || p.departmentCode === departmentCode),
      inspectorRoster: async (_parent, { departmentCode }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'INSPECTOR');
        // Inspectors' names: an inspector sees only their own department's roster.
        requireOwnDepartment(ctx.identity, departmentCode, { zh: '检查人员只能查看本部门的名册', en: "An inspector sees only their own department's roster" });
        const roster = await new PlanStore(ctx.db).rosters.latest(departmentCode);
        return roster ? rosterView(roster) : null;
      },
      // Published (一公开): the draw, its seed and population, the businesses drawn; inspectors' names are not.
      inspectionPlan: async (_parent, { industryCode, period }, ctx) => new PlanStore(ctx.db).byId(planId(industryCode, period)),
      inspection: async (_parent, { planId, permitCode }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'INSPECTOR');
        const { inspection } = await new InspectionStore(ctx.db).inspection(planId, permitCode);
        // An inspector sees the inspections of plans that drew them.
        if (ctx.identity.role === 'INSPECTOR') drawnDepartment(ctx.identity, inspection.plan);
        return inspection;
      },
      followUps: async (_parent, { departmentCode }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'REVIEWER', 'INSPECTOR');
        requireOwnDepartment(ctx.identity, departmentCode, { zh: '只能查看本部门的后续处理', en: "Only your own department's follow-ups" });
        const store = new InspectionStore(ctx.db);
        return store.withStatus(await store.followUps(departmentCode), beijingToday());
      },
      inspectionsForPermit: async (_parent, { permitCode }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'INSPECTOR');
        const inspections = await new InspectionStore(ctx.db).ofPermit(normaliseCode(permitCode));
        // An inspector gets the plans that drew them; others' are not theirs to open.
        return inspections.filter((i) => ctx.identity.role === 'ADMIN' || drawnBy(ctx.identity, i.plan));
      },
      evidenceFile: async (_parent, { inspectionId, pointCode, sha256 }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'REVIEWER', 'INSPECTOR');
        return new InspectionStore(ctx.db).evidenceFile(ctx.identity, inspectionId, pointCode, sha256);
      },
      complaints: async (_parent, { departmentCode }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'REVIEWER', 'INSPECTOR');
        requireOwnDepartment(ctx.identity, departmentCode, { zh: '只能查看本部门收到的投诉举报', en: "Only the complaints sent to your own department" });
        return new BusinessHistory(ctx.db).complaintsTo(departmentCode);
      },
      riskGrade: async (_parent, { permitCode }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'ANALYST', 'INSPECTOR');
        const permit = await new PermitRegister(ctx.db).byCode(normaliseCode(permitCode));
        const grade = permit ? await currentGrade(ctx.db, permit.permitId) : null;
        return grade && permit ? { ...grade, permitCode: permit.code } : null;
      },
      supervisionFigures: async (_parent, { year, industryCode }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'ANALYST');
        if (!Number.isInteger(year) || year < 2000 || year > 2199) throw invalidInput([{ path: 'year', code: 'OUT_OF_RANGE', messageZh: '年度应在 2000–2199 之间', messageEn: 'The year must be 2000–2199' }]);
        return supervisionFigures(ctx.db, year, industryCode ?? null);
      },
      supervisedPermits: async (_parent, { industryCode, status }, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'ANALYST');
        return (await new PermitRegister(ctx.db).ofIndustry(industryCode)).filter((p) => !status || p.status === status);
      },
    },
    Mutation: {
      setInspectorRoster: async (_parent, { input }, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        checkRosterInput(input);
        const inspectors = input.inspectors.map((i) => ({ id: i.id.trim(), name: i.name.trim() }));
        return rosterView(await new PlanStore(ctx.db).rosters.publish(input.departmentCode, { departmentCode: input.departmentCode, inspectors }, ctx.identity.subject, input.basedOnRevision));
      },
      drawInspectionPlan: async (_parent, { input }, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        checkPlanInput(input);
        return new PlanStore(ctx.db).draw({ ...input, seed: input.seed.trim() }, ctx.identity.subject);
      },
      recordInspectionPoint: async (_parent, { input }, ctx) => {
        requireRole(ctx.identity, 'INSPECTOR');
        return new InspectionStore(ctx.db).record(ctx.identity, input);
      },
      closeInspection: async (_parent, { planId, permitCode }, ctx) => {
        requireRole(ctx.identity, 'INSPECTOR');
        return new InspectionStore(ctx.db).close(ctx.identity, planId, permitCode);
      },
      recordCorrection: async (_parent, { followUpId, note }, ctx) => {
        requireRole(ctx.identity, 'REVIEWER', 'INSPECTOR');
        return new InspectionStore(ctx.db).recordCorrection(ctx.identity, followUpId, note);
      },
      // Anyone, signed in or not (社会共治): the gateway's limits bound how often.
      submitComplaint: async (_parent, { input }, ctx) => {
        const complaint = await submitComplaint(ctx.db, input);
        ctx.log.info({ complaintId: complaint._id, departments: complaint.departmentCodes }, 'complaint received');
        return complaint;
      },
      publishSupervisionNotes: async (_parent, { input }, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        checkNotesInput(input);
        const sections = input.sections.map((s) => ({ titleZh: s.titleZh.trim(), titleEn: s.titleEn.trim(), bodyZh: s.bodyZh.trim(), bodyEn: s.bodyEn.trim() }));
        return notesView(await new NotesStore(ctx.db).revisions.publish(input.industryCode, { industryCode: input.industryCode, sections, note: input.note.trim() }, ctx.identity.subject, input.basedOnRevision));
      },
    },
    InspectionPlan: {
      id: (plan: PlanRecord) => plan._id,
      population: (plan: PlanRecord) => plan.population.map((c) => ({ permitId: c.id, weight: c.weight, grade: c.grade, score: c.score })),
      departments: (plan: PlanRecord, _args, ctx) =>
        plan.departments.map((d) => ({
          departmentCode: d.departmentCode,
          rosterRevision: d.rosterRevision,
          inspectorCount: d.inspectors.length,
          inspectors: ['ADMIN', 'INSPECTOR'].includes(ctx.identity.role) ? d.inspectors : null,
        })),
      reproduced: (plan: PlanRecord) => reproduces(plan),
      drawnAt: (plan: PlanRecord) => plan.drawnAt.toISOString(),
    },
    Inspection: {
      planId: (inspection: InspectionView) => inspection.plan._id,
      permitCode: (inspection: InspectionView) => inspection.business.code,
      companyName: (inspection: InspectionView) => inspection.business.companyName,
      points: (inspection: InspectionView) =>
        inspection.checklist.map((point) => {
          const recorded = inspection.results.get(point.code);
          return { point, result: recorded?.result ?? null, note: recorded?.note ?? null, recordedBy: recorded?.by ?? null, recordedAt: recorded?.at.toISOString() ?? null, evidence: recorded?.evidence ?? [] };
        }),
      closed: (inspection: InspectionView) => Boolean(inspection.closed),
      result: (inspection: InspectionView) => inspection.closed?.result ?? null,
      closedAt: (inspection: InspectionView) => inspection.closed?.at.toISOString() ?? null,
      followUps: (inspection: InspectionView, _args, ctx) => new InspectionStore(ctx.db).withStatus(inspection.closed?.followUps ?? [], beijingToday()),
    },
    FollowUp: {
      correctedAt: (followUp: FollowUpView) => followUp.correction?.at.toISOString() ?? null,
      correctionNote: (followUp: FollowUpView) => followUp.correction?.note ?? null,
    },
    Complaint: {
      id: (complaint: ComplaintEntry) => complaint._id,
      receivedAt: (complaint: ComplaintEntry) => complaint.at.toISOString(),
    },
    ComplaintReceipt: {
      id: (complaint: ComplaintEntry) => complaint._id,
      receivedAt: (complaint: ComplaintEntry) => complaint.at.toISOString(),
    },
    SupervisedPermit: {
      companyName: (permit: SupervisedPermitView) => permit.holder.companyName,
      creditCode: (permit: SupervisedPermitView) => permit.holder.creditCode,
      permittedItemCodes: (permit: SupervisedPermitView) => permit.items.filter((i) => i.permitted).map((i) => i.itemCode),
    },
    CheckPoint: {
      legalBasisZh: (point: CheckPointView) => point.legalBasis.zh,
      legalBasisEn: (point: CheckPointView) => point.legalBasis.en,
      correctionDays: (point: CheckPointView) => (point.onFailure === 'CORRECTION' ? (point.correctionDays ?? null) : null),
      illustrative: (point: CheckPointView) => point.illustrative === true,
    },
    Industry: {
      checklist: (industry) => checklistOf(((industry as IndustryReference).items ?? []).map((i) => i.item.code)),
      supervisionNotes: async (industry, _args, ctx) => {
        const latest = await new NotesStore(ctx.db).revisions.latest((industry as IndustryReference).code);
        // Cleared notes (a revision with no sections) print nothing.
        return latest && latest.sections.length ? notesView(latest) : null;
      },
    },
    Permit: {
      // Only what the business holds a licence for is checked.
      checklist: (permit) => checklistOf(((permit as PermitReference).items ?? []).filter((i) => i.permitted).map((i) => i.itemCode)),
      // 一公开: the date and result of the last joint inspection of this business (any version of its permit); nothing else.
      lastInspection: async (permit, _args, ctx) => {
        const version = await new PermitRegister(ctx.db).version((permit as PermitReference).id);
        const last = version ? (await new BusinessHistory(ctx.db).inspections(version.applicationId)).at(-1) : undefined;
        return last ? { closedOn: beijingDate(last.closedAt), result: last.result } : null;
      },
    },
  };
}
