import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { databaseCommands } from '../support/metrics';
import { sampleValues } from '../support/sample-values';
import { ACCESS_POLICY, type Policy } from '../../shared/access-policy';
import type { Identity } from '../../shared/identity';
import { department, departments, REPO_ROOT } from '../../shared/registry';
import { caller, eventually, freshBusiness, readyApplication } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal } from '../support/refusals';
import { samplePdf } from '../support/walkthrough';
import { beijingToday } from '../../shared/beijing-calendar';

/**
 * The access-policy table (shared/access-policy.ts), cell by cell: every query
 * and mutation of the composed schema is called as every role — an applicant
 * on their own business and on another's, a reviewer of the deciding
 * department and of another — on real records. Allowed: no refusal. Refused:
 * FORBIDDEN or UNAUTHENTICATED (or, for a lookup, nothing found), and nothing
 * written by the service that owns the operation.
 */
const INDUSTRY = 'policy-water';
const DEPT = 'water';
const OTHER_DEPT = 'fire-rescue';

function apiSchema(): GraphQLSchema {
  return Supergraph.build(readFileSync(join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();
}

/** Every operation of the composed schema, as the policy table names it. */
function operationsOf(schema: GraphQLSchema): string[] {
  const namespaces = new Set(departments().map((d) => d.graphqlName));
  const ops: string[] = [];
  for (const root of ['Query', 'Mutation'] as const) {
    const type = schema.getType(root);
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (!namespaces.has(field.name)) {
        ops.push(`${root}.${field.name}`);
        continue;
      }
      const inner = schema.getType(field.type.toString().replace(/!$/, ''));
      if (isObjectType(inner)) for (const f of Object.keys(inner.getFields())) ops.push(`department.${root === 'Query' ? 'Queries' : 'Mutations'}.${f}`);
    }
  }
  return [...new Set(ops)];
}

describe('the access policy, cell by cell', () => {
  let t: TestPlatform;
  let as: ReturnType<typeof caller>;
  const A = freshBusiness();
  const B = freshBusiness();
  const f = {} as {
    decided: string;
    permitId: string;
    permitCode: string;
    licenceId: string;
    voidPermitId: string;
    pendingReview: string;
    submitted: string;
    material: string;
    commitmentReview: string;
    followUpId: string;
  };
  const ns = department(DEPT)!.graphqlName;
  const PLAN_INPUT = { industryCode: INDUSTRY, period: '2026-12', sampleSize: 1, inspectorsPerDepartment: 1, seed: 'access-policy-seed' };

  beforeAll(async () => {
    t = await startTestPlatform();
    as = caller(t.graphqlUrl, t.token);
    await t.walk.loadUnknownHolidaySchedules(); // supplement deadlines may run into next year
    await t.walk.publishIndustry(INDUSTRY, [{ itemCode: 'WA-DRAINAGE', department: DEPT }]);
    const decide = async (id: string) => {
      const accepted = await t.walk.accept(id);
      await t.walk.waitForReview(DEPT, accepted.items[0].reviewId);
      const decided = await t.walk.decide(DEPT, accepted.items[0].reviewId, { approve: true });
      await t.walk.waitUntilDecided(id);
      return { permit: await t.walk.issuePermit(id), licenceId: decided.licence!.id };
    };
    f.decided = (await readyApplication(t.walk, INDUSTRY, A)).id;
    const issued = await decide(f.decided);
    Object.assign(f, { permitId: issued.permit.id, permitCode: issued.permit.code, licenceId: issued.licenceId });
    const toVoid = await decide((await readyApplication(t.walk, INDUSTRY, A)).id);
    await t.walk.endLicence(DEPT, toVoid.licenceId, 'CANCELLED', '申请人主动注销');
    f.voidPermitId = toVoid.permit.id;
    await eventually('void', async () => ((await as<{ permit: { status: string } }>(t.walk.issuer(), 'query ($id: ID!) { permit(id: $id) { status } }', { id: f.voidPermitId })).data!.permit.status === 'VOID' ? true : undefined));
    const pending = await t.walk.accept((await readyApplication(t.walk, INDUSTRY, A)).id);
    await t.walk.waitForReview(DEPT, pending.items[0].reviewId);
    f.pendingReview = pending.items[0].reviewId;
    // Submitted, not accepted, one material still to attach.
    const form = await t.walk.form(INDUSTRY, {});
    const submitted = await t.walk.submit(t.walk.clerk(), INDUSTRY, {}, sampleValues(form.sections.flatMap((s) => s.fields), A));
    f.submitted = submitted.id;
    f.material = (await as<{ application: { materials: { code: string }[] } }>(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { materials { code } } }', { id: submitted.id })).data!.application.materials.find((m) => m.code !== 'business-licence')!.code;
    // Approved on the applicant's commitment: a verification task.
    const committed = await as<{ submitApplication: { id: string } }>(t.walk.applicant(A.creditCode), 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }', {
      input: { industryCode: INDUSTRY, answers: {}, values: sampleValues(form.sections.flatMap((s) => s.fields), A), commitments: ['WA-DRAINAGE'] },
    });
    const commitApp = await t.walk.accept(committed.data!.submitApplication.id);
    f.commitmentReview = commitApp.items[0].reviewId;
    await eventually('approved on commitment', async () => {
      const r = await as<Record<string, { review: { state: string } | null }>>(t.walk.reviewer(DEPT), `query ($id: ID!) { ${ns} { review(id: $id) { state } } }`, { id: f.commitmentReview });
      return r.data![ns].review?.state === 'APPROVED' ? true : undefined;
    });
    // Supervision: the department's inspector roster, and a plan drawn from the industry's permit holders once supervision knows of the permit.
    const roster = await as(t.walk.admin(), 'mutation ($input: InspectorRosterInput!) { setInspectorRoster(input: $input) { revision } }', {
      // The department's inspector in the table is the only one on the roster, so the plan draws them.
      input: { departmentCode: DEPT, inspectors: [{ id: t.walk.inspector(DEPT).subject, name: '检查员甲' }], basedOnRevision: 0 },
    });
    expect(roster.errors).toBeUndefined();
    await eventually('the permit known to supervision', async () => {
      const r = await as<{ supervisedPermits: { permitId: string }[] }>(t.walk.admin(), 'query ($i: ID!) { supervisedPermits(industryCode: $i, status: VALID) { permitId } }', { i: INDUSTRY });
      return r.data?.supervisedPermits.some((p) => p.permitId === f.permitId) ? true : undefined;
    });
    const plan = await as(t.walk.admin(), `mutation ($input: InspectionPlanInput!) { drawInspectionPlan(input: $input) { id } }`, { input: PLAN_INPUT });
    expect(plan.errors).toBeUndefined();
    // The work team's roster, with the deciding department's liaison.
    const person = { name: '张三', title: '区政府副区长' };
    const team = await as(t.walk.admin(), 'mutation ($input: WorkTeamInput!) { publishWorkTeam(input: $input) { revision } }', {
      input: { convenor: person, deputyConvenor: person, officeDirector: person, members: [{ departmentCode: DEPT, member: person, liaison: { ...person, phone: '010-69441234' } }], basedOnRevision: 0, note: '首次发布' },
    });
    expect(team.errors).toBeUndefined();
    // An earlier period's inspection, closed with a failed point: a correction order for the department to confirm.
    const earlier = { ...PLAN_INPUT, period: '2026-11' };
    expect((await as(t.walk.admin(), `mutation ($input: InspectionPlanInput!) { drawInspectionPlan(input: $input) { id } }`, { input: earlier })).errors).toBeUndefined();
    const RECORD = 'mutation ($input: InspectionPointInput!) { recordInspectionPoint(input: $input) { id } }';
    const evidence = [{ name: 'photo.pdf', mediaType: 'application/pdf', contentBase64: samplePdf('evidence').toString('base64') }];
    for (const [pointCode, result] of [['WA-DRAINAGE-01', 'FAIL'], ['WA-DRAINAGE-02', 'PASS'], ['WA-DRAINAGE-03', 'PASS'], ['WA-DRAINAGE-04', 'PASS']]) {
      const input = { planId: `${INDUSTRY}:2026-11`, permitCode: f.permitCode, pointCode, result, ...(result === 'FAIL' ? { note: '排放口位置与许可不符', evidence } : {}) };
      expect((await as(t.walk.inspector(DEPT), RECORD, { input })).errors).toBeUndefined();
    }
    const closed = await as<{ closeInspection: { followUps: { id: string }[] } }>(t.walk.inspector(DEPT), 'mutation ($p: ID!, $c: ID!) { closeInspection(planId: $p, permitCode: $c) { followUps { id } } }', { p: `${INDUSTRY}:2026-11`, c: f.permitCode });
    f.followUpId = closed.data!.closeInspection.followUps[0].id;
    // The issued application's file is sealed when the permit service's event arrives.
    await eventually('the file sealed', async () => {
      const r = await as<{ archiveRecord: { seq: number } | null }>(t.walk.admin(), 'query ($id: ID!) { archiveRecord(applicationId: $id) { seq } }', { id: f.decided });
      return r.data?.archiveRecord ?? undefined;
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** One call per operation, on the fixtures: its document, variables, and what it returns when found. */
  const call = (op: string): { query: string; variables?: Record<string, unknown>; pick: (data: Record<string, unknown>) => unknown; service: string } => {
    const dept = (field: string, args: string, select: string, variables: Record<string, unknown> = {}, kind: 'query' | 'mutation' = 'query') => ({
      query: `${kind} ${Object.keys(variables).length ? `(${Object.keys(variables).map((k) => `$${k}: ID!`).join(', ')})` : ''} { ${ns} { ${field}${args} ${select} } }`,
      variables,
      pick: (data: Record<string, unknown>) => (data[ns] as Record<string, unknown> | null)?.[field],
      service: DEPT,
    });
    const root = (field: string, document: string, variables: Record<string, unknown> = {}, service = 'applications') => ({ query: document, variables, pick: (data: Record<string, unknown>) => data[field], service });
    switch (op) {
      case 'Query.industries': return root('industries', '{ industries { code } }');
      case 'Query.industry': return root('industry', `{ industry(code: "${INDUSTRY}") { code } }`);
      case 'Query.guide': return root('guide', `{ guide(industryCode: "${INDUSTRY}") { committedDays } }`);
      case 'Query.applicationForm': return root('applicationForm', `{ applicationForm(industryCode: "${INDUSTRY}", answers: {}) { itemCodes } }`);
      case 'Query.calendarStatus': return root('calendarStatus', '{ calendarStatus { libraryYears } }');
      case 'Query.departments': return root('departments', '{ departments { code queryField } }');
      case 'Query.catalogueEditions': return root('catalogueEditions', '{ catalogueEditions { id } }');
      case 'Query.reformFigures': return root('reformFigures', '{ reformFigures { industryCode } }');
      case 'Query.processingStatistics': return root('processingStatistics', '{ processingStatistics { unknownYears } }');
      case 'Query.application': return root('application', 'query ($id: ID!) { application(id: $id) { id } }', { id: f.decided });
      case 'Query.applications': return { ...root('applications', '{ applications { id } }'), pick: (d) => ((d.applications as { id: string }[]) ?? []).filter((a) => a.id === f.decided) };
      case 'Query.itemsDue': return root('itemsDue', '{ itemsDue { applicationId } }');
      case 'Query.notifications': return root('notifications', 'query ($id: ID) { notifications(applicationId: $id) { id } }', { id: f.decided });
      case 'Query.heldMaterials': return root('heldMaterials', 'query ($c: String!) { heldMaterials(creditCode: $c) { reference } }', { c: A.creditCode });
      case 'Mutation.submitApplication':
        return root('submitApplication', 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }', { input: { industryCode: INDUSTRY, answers: {}, values: submissionValues } });
      case 'Mutation.attachMaterial':
        return root('attachMaterial', 'mutation ($input: AttachMaterialInput!) { attachMaterial(input: $input) { status } }', { input: { applicationId: f.submitted, materialCode: f.material, file: { name: 'a.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 policy').toString('base64') } } });
      case 'Mutation.supplementApplication': return root('supplementApplication', 'mutation ($id: ID!) { supplementApplication(applicationId: $id, values: {}) { id } }', { id: f.submitted });
      case 'Mutation.withdrawApplication': return root('withdrawApplication', 'mutation ($id: ID!) { withdrawApplication(applicationId: $id, reason: "不再经营") { id } }', { id: f.submitted });
      case 'Mutation.submitCorrection': return root('submitCorrection', 'mutation ($id: ID!) { submitCorrection(applicationId: $id, itemCode: "WA-DRAINAGE", values: {}) { id } }', { id: f.decided });
      case 'Mutation.resubmitItem': return root('resubmitItem', 'mutation ($id: ID!) { resubmitItem(applicationId: $id, itemCode: "WA-DRAINAGE", values: {}) { id } }', { id: f.decided });
      case 'Mutation.submitFaceChange':
        return root('submitFaceChange', 'mutation ($input: FaceChangeInput!) { submitFaceChange(input: $input) { id } }', { input: { applicationId: f.decided, businessAddress: '北京市顺义区府前街2号', reason: '迁址' } });
      case 'Mutation.acceptApplication': return root('acceptApplication', 'mutation ($id: ID!) { acceptApplication(id: $id) { id } }', { id: f.submitted });
      case 'Mutation.requestSupplement': return root('requestSupplement', 'mutation ($id: ID!) { requestSupplement(applicationId: $id, problems: [{ target: "other", messageZh: "请补充" }]) { id } }', { id: f.submitted });
      case 'Mutation.refuseAtIntake': return root('refuseAtIntake', 'mutation ($id: ID!) { refuseAtIntake(applicationId: $id, reasons: ["不属于受理范围"]) { id } }', { id: f.submitted });
      case 'Mutation.loadCatalogueFromRepository': return root('loadCatalogueFromRepository', 'mutation { loadCatalogueFromRepository(publish: false) { id } }');
      case 'Mutation.upsertCatalogueIndustry':
        return root('upsertCatalogueIndustry', 'mutation ($input: CatalogueIndustryInput!) { upsertCatalogueIndustry(input: $input) { code } }', {
          input: { code: 'policy-extra', nameZh: '测试', nameEn: 'Test', mergedForm: true, questions: [], items: [{ itemCode: 'WA-DRAINAGE', department: DEPT }], illustrative: ['questions'] },
        });
      case 'Mutation.removeCatalogueIndustry': return root('removeCatalogueIndustry', 'mutation { removeCatalogueIndustry(code: "policy-none") { id } }');
      case 'Mutation.upsertApprovalItem':
        return root('upsertApprovalItem', 'mutation ($input: ApprovalItemInput!) { upsertApprovalItem(input: $input) { code } }', {
          input: { code: 'POLICY-NONE', department: DEPT, nameZh: '测试', nameEn: 'Test', licenceType: 'DrainagePermit', licenceNameZh: '测试', licenceNameEn: 'Test', legalBasis: [], conditions: [], materials: [], processSteps: [], elements: [], statutoryDays: 5, committedDays: 3, feeYuan: 0, commitmentAllowed: false, validityYears: 5 },
        });
      case 'Mutation.removeApprovalItem': return root('removeApprovalItem', 'mutation { removeApprovalItem(code: "POLICY-NONE") { id } }');
      case 'Mutation.publishCatalogueEdition': return root('publishCatalogueEdition', 'mutation { publishCatalogueEdition(note: "policy test") { id } }');
      case 'Mutation.discardCatalogueDraft': return root('discardCatalogueDraft', 'mutation { discardCatalogueDraft { id } }');
      case 'Mutation.loadHolidaySchedule':
        return root('loadHolidaySchedule', 'mutation ($input: HolidayScheduleInput!) { loadHolidaySchedule(input: $input) { year } }', { input: { year: 2031, holidays: ['2031-01-01'], workdays: [], source: '示例' } });
      case 'Query.scanPermit': return root('scanPermit', 'query ($c: ID!) { scanPermit(code: $c) { code } }', { c: f.permitCode }, 'permit');
      case 'Query.verifyPermit': return root('verifyPermit', 'query ($c: String!) { verifyPermit(qrContent: $c) { result } }', { c: f.permitCode }, 'permit');
      case 'Query.checkPoints': return root('checkPoints', '{ checkPoints(departmentCode: "market-regulation") { code } }', {}, 'supervision');
      case 'Mutation.publishSupervisionNotes':
        return root('publishSupervisionNotes', 'mutation ($input: SupervisionNotesInput!) { publishSupervisionNotes(input: $input) { revision } }', { input: { industryCode: INDUSTRY, sections: [], basedOnRevision: 0, note: 'policy test' } }, 'supervision');
      case 'Query.supervisedPermits':
        return root('supervisedPermits', `{ supervisedPermits(industryCode: "${INDUSTRY}") { permitId } }`, {}, 'supervision');
      case 'Query.inspectorRoster': return root('inspectorRoster', `{ inspectorRoster(departmentCode: "${DEPT}") { revision } }`, {}, 'supervision');
      case 'Query.inspectionPlan': return root('inspectionPlan', `{ inspectionPlan(industryCode: "${INDUSTRY}", period: "2026-12") { id } }`, {}, 'supervision');
      case 'Mutation.setInspectorRoster':
        return root('setInspectorRoster', 'mutation ($input: InspectorRosterInput!) { setInspectorRoster(input: $input) { revision } }', { input: { departmentCode: DEPT, inspectors: [{ id: 'WA-0003', name: '检查员丙' }], basedOnRevision: 1 } }, 'supervision');
      case 'Query.inspection': return root('inspection', 'query ($p: ID!, $c: ID!) { inspection(planId: $p, permitCode: $c) { id } }', { p: `${INDUSTRY}:2026-12`, c: f.permitCode }, 'supervision');
      case 'Query.followUps': return root('followUps', `{ followUps(departmentCode: "${DEPT}") { id } }`, {}, 'supervision');
      case 'Query.inspectionsForPermit': return root('inspectionsForPermit', `{ inspectionsForPermit(permitCode: "${f.permitCode}") { id } }`, {}, 'supervision');
      case 'Query.permitsIssuedPerWeek': return root('permitsIssuedPerWeek', '{ permitsIssuedPerWeek(weeks: 4) { issued } }', {}, 'permit');
      case 'Query.archiveRecord': return root('archiveRecord', 'query ($id: ID!) { archiveRecord(applicationId: $id) { seq } }', { id: f.decided });
      case 'Query.archiveVerification': return root('archiveVerification', '{ archiveVerification { valid } }');
      case 'Query.rolloutBoard': return root('rolloutBoard', '{ rolloutBoard { industryCode stage } }');
      case 'Query.entrustments': return root('entrustments', '{ entrustments(itemCode: "WA-DRAINAGE") { revision } }');
      case 'Query.workTeam': return root('workTeam', '{ workTeam { revision } }');
      case 'Query.workTeamContact': return root('workTeamContact', `{ workTeamContact(departmentCode: "${DEPT}") { liaison { phone } } }`);
      case 'Mutation.recordEntrustment':
        return root('recordEntrustment', 'mutation ($input: EntrustmentInput!) { recordEntrustment(input: $input) { revision } }', { input: { itemCode: 'WA-DRAINAGE', acceptanceEntrusted: true, approvalAuthorised: true, documentReference: '顺水委〔2023〕1号', signedOn: '2023-04-20', basedOnRevision: 0 } });
      case 'Mutation.changeRolloutStage': return root('changeRolloutStage', `mutation { changeRolloutStage(industryCode: "${INDUSTRY}", stage: ENTRUSTED, reason: "委托已签署") { stage } }`);
      case 'Mutation.publishWorkTeam':
        return root('publishWorkTeam', 'mutation ($input: WorkTeamInput!) { publishWorkTeam(input: $input) { revision } }', {
          input: { convenor: { name: '李四', title: '副区长' }, deputyConvenor: { name: '李四', title: '局长' }, officeDirector: { name: '李四', title: '副局长' }, members: [{ departmentCode: DEPT, member: { name: '李四', title: '处长' }, liaison: { name: '王五', title: '科长', phone: '13911112222' } }], basedOnRevision: 1, note: '调整' },
        });
      case 'Query.evidenceFile':
        return root('evidenceFile', 'query ($i: ID!, $s: String!) { evidenceFile(inspectionId: $i, pointCode: "WA-DRAINAGE-01", sha256: $s) { sha256 } }', { i: `${INDUSTRY}:2026-11/${f.permitCode}`, s: createHash('sha256').update(samplePdf('evidence')).digest('hex') }, 'supervision');
      case 'Query.complaints': return root('complaints', `{ complaints(departmentCode: "${DEPT}") { id } }`, {}, 'supervision');
      case 'Query.riskGrade': return root('riskGrade', `{ riskGrade(permitCode: "${f.permitCode}") { grade } }`, {}, 'supervision');
      case 'Query.supervisionFigures': return root('supervisionFigures', `{ supervisionFigures(year: ${beijingToday().slice(0, 4)}) { inspections } }`, {}, 'supervision');
      case 'Mutation.recordCorrection': return root('recordCorrection', 'mutation ($id: ID!) { recordCorrection(followUpId: $id, note: "排放口已按许可位置改造") { id } }', { id: f.followUpId }, 'supervision');
      case 'Mutation.submitComplaint':
        return root('submitComplaint', 'mutation ($input: ComplaintInput!) { submitComplaint(input: $input) { id } }', { input: { permitCode: f.permitCode, text: '门口排水口有污水外溢，气味很大' } }, 'supervision');
      case 'Mutation.recordInspectionPoint':
        return root('recordInspectionPoint', 'mutation ($input: InspectionPointInput!) { recordInspectionPoint(input: $input) { id } }', { input: { planId: `${INDUSTRY}:2026-12`, permitCode: f.permitCode, pointCode: 'WA-DRAINAGE-01', result: 'PASS' } }, 'supervision');
      case 'Mutation.closeInspection': return root('closeInspection', 'mutation ($p: ID!, $c: ID!) { closeInspection(planId: $p, permitCode: $c) { id } }', { p: `${INDUSTRY}:2026-12`, c: f.permitCode }, 'supervision');
      case 'Mutation.drawInspectionPlan': return root('drawInspectionPlan', 'mutation ($input: InspectionPlanInput!) { drawInspectionPlan(input: $input) { id } }', { input: PLAN_INPUT }, 'supervision');
      case 'Query.permitSigningKeys': return root('permitSigningKeys', '{ permitSigningKeys }', {}, 'permit');
      case 'Query.permit': return root('permit', 'query ($id: ID!) { permit(id: $id) { id } }', { id: f.permitId }, 'permit');
      case 'Query.permitCertificate': return root('permitCertificate', 'query ($c: ID!) { permitCertificate(code: $c) { id } }', { c: f.permitCode }, 'permit');
      case 'Query.permitHistory': return root('permitHistory', 'query ($id: ID!) { permitHistory(permitId: $id) { action } }', { id: f.permitId }, 'permit');
      case 'Query.permitForApplication': return root('permitForApplication', 'query ($id: ID!) { permitForApplication(applicationId: $id) { id } }', { id: f.decided }, 'permit');
      case 'Query.permitRequests': return root('permitRequests', '{ permitRequests { applicationId } }', {}, 'permit');
      case 'Query.permitsAwaitingReissue': return root('permitsAwaitingReissue', '{ permitsAwaitingReissue { id } }', {}, 'permit');
      case 'Mutation.issuePermit': return root('issuePermit', 'mutation ($id: ID!) { issuePermit(applicationId: $id) { id } }', { id: f.decided }, 'permit');
      case 'Mutation.reissuePermit': return root('reissuePermit', 'mutation ($id: ID!) { reissuePermit(permitId: $id, reason: "换发") { id } }', { id: f.permitId }, 'permit');
      case 'Mutation.recordPermitRecall': return root('recordPermitRecall', 'mutation ($id: ID!) { recordPermitRecall(permitId: $id, note: "已收回") { id } }', { id: f.voidPermitId }, 'permit');
      case 'department.Queries.reviews': return dept('reviews', '', '{ id }');
      case 'department.Queries.review': return dept('review', '(id: $id)', '{ id }', { id: f.pendingReview });
      case 'department.Queries.verificationTasks': return dept('verificationTasks', '', '{ id }');
      case 'department.Queries.licence': return dept('licence', '(id: $id)', '{ id }', { id: f.licenceId });
      case 'department.Queries.items': return dept('items', '', '{ code }');
      case 'department.Queries.licenceHistory': return dept('licenceHistory', '(licenceId: $id)', '{ action }', { id: f.licenceId });
      case 'department.Mutations.approve': return dept('approve', '(reviewId: $id)', '{ id }', { id: f.pendingReview }, 'mutation');
      case 'department.Mutations.deny': return dept('deny', '(reviewId: $id, reasons: ["不符合条件"])', '{ id }', { id: f.pendingReview }, 'mutation');
      case 'department.Mutations.endLicence': return dept('endLicence', '(licenceId: $id, ending: CANCELLED, reason: "注销")', '{ id }', { id: f.licenceId }, 'mutation');
      case 'department.Mutations.changeLicence': return dept('changeLicence', '(licenceId: $id, change: { validUntil: "2099-01-01" }, reason: "延续")', '{ id }', { id: f.licenceId }, 'mutation');
      case 'department.Mutations.requestCorrection': return dept('requestCorrection', '(reviewId: $id, problems: ["请补正"])', '{ id }', { id: f.pendingReview }, 'mutation');
      case 'department.Mutations.scheduleInspection': return dept('scheduleInspection', '(reviewId: $id, date: "2099-01-01")', '{ id }', { id: f.pendingReview }, 'mutation');
      case 'department.Mutations.recordInspection': return dept('recordInspection', '(reviewId: $id, passed: true, notes: "合格")', '{ id }', { id: f.pendingReview }, 'mutation');
      case 'department.Mutations.recordVerification': return dept('recordVerification', '(reviewId: $id, passed: true, notes: "属实")', '{ id }', { id: f.commitmentReview }, 'mutation');
      default:
        throw new Error(`no call for ${op}: add one to this test`);
    }
  };
  let submissionValues: Record<string, unknown> = {};

  /** The callers of one operation, and whether the policy lets each in. */
  const callers = (policy: Policy): { label: string; identity: Identity | null; allowed: boolean }[] => {
    const grant = (role: Exclude<Identity['role'], 'PUBLIC'>) => (policy === 'public' ? 'any' : policy[role]);
    return [
      { label: 'public', identity: null, allowed: policy === 'public' },
      { label: 'applicant (own)', identity: t.walk.applicant(A.creditCode), allowed: Boolean(grant('APPLICANT')) },
      { label: 'applicant (another business)', identity: t.walk.applicant(B.creditCode), allowed: grant('APPLICANT') === 'any' },
      { label: 'clerk', identity: t.walk.clerk(), allowed: Boolean(grant('CLERK')) },
      { label: 'reviewer (deciding department)', identity: t.walk.reviewer(DEPT), allowed: Boolean(grant('REVIEWER')) },
      { label: 'reviewer (another department)', identity: t.walk.reviewer(OTHER_DEPT), allowed: grant('REVIEWER') === 'any' },
      { label: 'inspector (deciding department)', identity: t.walk.inspector(DEPT), allowed: Boolean(grant('INSPECTOR')) },
      { label: 'inspector (another department)', identity: t.walk.inspector(OTHER_DEPT), allowed: grant('INSPECTOR') === 'any' },
      { label: 'issuer', identity: t.walk.issuer(), allowed: Boolean(grant('ISSUER')) },
      { label: 'analyst', identity: { role: 'ANALYST', subject: 'analyst-01' }, allowed: Boolean(grant('ANALYST')) },
      { label: 'admin', identity: t.walk.admin(), allowed: Boolean(grant('ADMIN')) },
    ];
  };

  // First: the matrix below lets admins replace the catalogue, and issuers re-issue.
  describe('faults a review once slipped into the code, each now caught', () => {
    it("does not show an applicant another business's held materials or applications", async () => {
      expectRefusal(await as(t.walk.applicant(B.creditCode), 'query ($c: String!) { heldMaterials(creditCode: $c) { reference } }', { c: A.creditCode }), 'FORBIDDEN');
      const listed = await as<{ applications: { id: string; creditCode: string }[] }>(t.walk.applicant(B.creditCode), '{ applications { id creditCode } }');
      expect(listed.data!.applications.every((a) => a.creditCode === B.creditCode)).toBe(true);
      const mine = await as<{ applications: { id: string }[] }>(t.walk.applicant(A.creditCode), '{ applications { id } }');
      expect(mine.data!.applications.map((a) => a.id)).toContain(f.decided);
    });

    it("does not let a reviewer read another department's licence history", async () => {
      expectRefusal(await as(t.walk.reviewer(OTHER_DEPT), `query ($id: ID!) { ${ns} { licenceHistory(licenceId: $id) { action } } }`, { id: f.licenceId }), 'FORBIDDEN');
      expect((await as(t.walk.reviewer(DEPT), `query ($id: ID!) { ${ns} { licenceHistory(licenceId: $id) { action } } }`, { id: f.licenceId })).errors).toBeUndefined();
    });

    it('issues no permit for an application whose every item was denied', async () => {
      const accepted = await t.walk.accept((await readyApplication(t.walk, INDUSTRY)).id);
      await t.walk.waitForReview(DEPT, accepted.items[0].reviewId);
      await t.walk.decide(DEPT, accepted.items[0].reviewId, { approve: false, reasons: ['排水设施不符合要求'] });
      await t.walk.waitUntilDecided(accepted.id);
      const refused = await eventually('refused', async () => {
        const r = await as(t.walk.issuer(), 'mutation ($id: ID!) { issuePermit(applicationId: $id) { id } }', { id: accepted.id });
        return r.errors?.[0]?.extensions?.code === 'WRONG_STATE' ? r : undefined;
      });
      expect(refused.errors![0].extensions?.messageEn).toContain('denied');
      expect((await as<{ permitForApplication: unknown }>(t.walk.issuer(), 'query ($id: ID!) { permitForApplication(applicationId: $id) { id } }', { id: accepted.id })).data!.permitForApplication).toBeNull();
    });
  });

  it('lists every operation of the composed schema, and no operation that is not there', () => {
    const ops = operationsOf(apiSchema());
    expect(ops.filter((op) => !(op in ACCESS_POLICY))).toEqual([]);
    expect(Object.keys(ACCESS_POLICY).filter((op) => !ops.includes(op))).toEqual([]);
  });

  it('refuses every caller the table does not let in, and writes nothing for them; lets in everyone it does', async () => {
    const form = await t.walk.form(INDUSTRY, {});
    submissionValues = sampleValues(form.sections.flatMap((s) => s.fields), A);
    const ops = operationsOf(apiSchema());
    const cells = ops.flatMap((op) => callers(ACCESS_POLICY[op]).map((c) => ({ op, ...c })));
    const problems: string[] = [];
    // Refusals first: they must write nothing, so nothing moves the fixtures under the allowed calls.
    for (const cell of cells.filter((c) => !c.allowed)) {
      const { query, variables, pick, service } = call(cell.op);
      const before = await databaseCommands(t.platform.serviceUrls[service], 'insert');
      const r = await as(cell.identity, query, variables);
      const after = await databaseCommands(t.platform.serviceUrls[service], 'insert');
      const code = r.errors?.[0]?.extensions?.code;
      const found = r.data ? pick(r.data as Record<string, unknown>) : null;
      const hidden = found === null || found === undefined || (Array.isArray(found) && found.length === 0);
      if (!(code === 'FORBIDDEN' || code === 'UNAUTHENTICATED' || (!r.errors && hidden))) problems.push(`${cell.op} as ${cell.label}: not refused (${JSON.stringify(r.errors?.[0]?.extensions?.code ?? found)})`);
      if (after !== before) problems.push(`${cell.op} as ${cell.label}: refused, yet ${after - before} insert(s) in ${service}`);
    }
    for (const cell of cells.filter((c) => c.allowed)) {
      const { query, variables, pick } = call(cell.op);
      const r = await as(cell.identity, query, variables);
      const code = r.errors?.[0]?.extensions?.code;
      if (code === 'FORBIDDEN' || code === 'UNAUTHENTICATED') problems.push(`${cell.op} as ${cell.label}: refused (${code}) though the table allows it`);
      else if (cell.op.startsWith('Query.') || cell.op.startsWith('department.Queries.')) {
        const found = r.data ? pick(r.data as Record<string, unknown>) : null;
        if (r.errors || found === null || found === undefined) problems.push(`${cell.op} as ${cell.label}: allowed, but nothing came (${JSON.stringify(r.errors?.[0] ?? null)})`);
      }
    }
    expect(problems).toEqual([]);
    console.log(`access policy: ${cells.length} cells over ${ops.length} operations, ${cells.filter((c) => !c.allowed).length} refusals`);
  });

});
