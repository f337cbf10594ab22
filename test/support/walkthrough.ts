import type { Identity } from '../../shared/identity';
import { beijingToday } from '../../shared/beijing-calendar';
import { department } from '../../shared/registry';
import { WorkingDayCalendar } from '../../shared/working-days';
import { SCANNED_PERMIT_FRAGMENT } from '../../documents/queries';
import type { ScannedPermit } from '../../documents/scan-page';
import { eventually, graphqlData } from './client';

export const SCAN_WITH_OVERALL_STATE = `query ScanWithOverallState($code: ID!) { scanPermit(code: $code) { ...ScannedPermit overallState } }
${SCANNED_PERMIT_FRAGMENT}`;
import { sampleValues, type FormFieldView, type sampleBusiness } from './sample-values';

/**
 * The reform's path as each role walks it through the gateway: the demo prints
 * it, the end-to-end tests assert on it. Every call is a real GraphQL request.
 */
export type TokenFor = (identity: Identity) => Promise<string>;

export interface ApplicationView {
  id: string;
  number: string;
  status: string;
  channel: string;
  submittedByClerk: string | null;
  creditCode: string;
  items: { itemCode: string; departmentCode: string; status: string; reviewId: string; licenceId: string | null }[];
}

const APPLICATION_FIELDS = `id number status channel submittedByClerk creditCode items { itemCode departmentCode status reviewId licenceId }`;

export class Walkthrough {
  readonly graphqlUrl: string;

  constructor(
    readonly gatewayUrl: string,
    private readonly tokenFor: TokenFor,
  ) {
    this.graphqlUrl = `${gatewayUrl}/graphql`;
  }

  private async as<T>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return graphqlData<T>(this.graphqlUrl, query, variables, identity ? await this.tokenFor(identity) : undefined);
  }

  applicant(creditCode: string): Identity {
    return { role: 'APPLICANT', subject: `applicant-${creditCode}`, creditCode };
  }
  clerk(): Identity {
    return { role: 'CLERK', subject: 'clerk-window-01', name: '综合窗口01' };
  }
  reviewer(departmentCode: string): Identity {
    return { role: 'REVIEWER', subject: `reviewer-${departmentCode}`, department: departmentCode };
  }
  inspector(departmentCode: string, n = 1): Identity {
    return { role: 'INSPECTOR', subject: `inspector-${departmentCode}-${n}`, department: departmentCode };
  }
  issuer(): Identity {
    return { role: 'ISSUER', subject: 'issuer-bureau-01' };
  }
  admin(): Identity {
    return { role: 'ADMIN', subject: 'admin-01' };
  }

  /**
   * Loads an illustrative schedule (New Year's Day only) for this year and next
   * where the calendar library has none, as an admin loads the State Council's
   * notice; without it, deadlines that run into such a year are refused or left open.
   */
  async loadUnknownHolidaySchedules(): Promise<number[]> {
    const year = Number(beijingToday().slice(0, 4));
    const unknown = new WorkingDayCalendar().unknownYears(year, year + 1);
    for (const y of unknown) {
      const input = { year: y, holidays: [`${y}-01-01`], workdays: [], source: '示例：国务院办公厅节假日安排通知' };
      await this.as(this.admin(), 'mutation ($input: HolidayScheduleInput!) { loadHolidaySchedule(input: $input) { year } }', { input });
    }
    return unknown;
  }

  /** Adds an industry bundling these items and publishes the next catalogue edition (admin). */
  async publishIndustry(code: string, items: { itemCode: string; department: string }[]) {
    await this.as(this.admin(), 'mutation ($input: CatalogueIndustryInput!) { upsertCatalogueIndustry(input: $input) { code } }', {
      input: { code, nameZh: `测试行业 ${code}`, nameEn: `Test industry ${code}`, mergedForm: true, questions: [], items, illustrative: ['questions'] },
    });
    await this.as(this.admin(), 'mutation { publishCatalogueEdition(note: "benchmark / test industry") { id } }');
  }

  /** One business through intake and review, every item approved: the decided application. */
  /** The whole path to a decided application: every item approved but those in `deny`. */
  async approvedApplication(industryCode: string, answers: Record<string, unknown>, business: ReturnType<typeof sampleBusiness>, deny: readonly string[] = []) {
    const form = await this.form(industryCode, answers);
    const submitted = await this.submit(this.clerk(), industryCode, answers, sampleValues(form.sections.flatMap((s) => s.fields), business));
    await this.accept(submitted.id);
    await this.decideAll(submitted.id, deny);
    return this.waitUntilDecided(submitted.id);
  }

  /** The whole path for one business, every item approved but those in `deny`: the issued permit. */
  async issuedPermit(industryCode: string, answers: Record<string, unknown>, business: ReturnType<typeof sampleBusiness>, deny: readonly string[] = []) {
    return this.issuePermit((await this.approvedApplication(industryCode, answers, business, deny)).id);
  }

  async industry(code: string) {
    const data = await this.as<{ industry: { code: string; questions: { key: string; type: string; options: { value: string }[] | null }[] } | null }>(
      null,
      `query ($code: ID!) { industry(code: $code) { code questions { key type options { value } } } }`,
      { code },
    );
    if (!data.industry) throw new Error(`no industry ${code}`);
    return data.industry;
  }

  async guide(industryCode: string, answers: Record<string, unknown> | null) {
    const data = await this.as<{ guide: { items: { code: string; departmentNameZh: string; committedDays: number }[]; materials: { code: string }[]; committedDays: number } }>(
      null,
      `query ($i: ID!, $a: JSON) { guide(industryCode: $i, answers: $a) { items { code departmentNameZh committedDays } materials { code } committedDays } }`,
      { i: industryCode, a: answers },
    );
    return data.guide;
  }

  async form(industryCode: string, answers: Record<string, unknown>) {
    const data = await this.as<{ applicationForm: { itemCodes: string[]; sections: { key: string; fields: FormFieldView[] }[] } }>(
      null,
      `query ($i: ID!, $a: JSON) { applicationForm(industryCode: $i, answers: $a) { itemCodes sections { key fields { key type required min max options { value } } } } }`,
      { i: industryCode, a: answers },
    );
    return data.applicationForm;
  }

  async submit(by: Identity, industryCode: string, answers: Record<string, unknown>, values: Record<string, unknown>) {
    const data = await this.as<{ submitApplication: ApplicationView }>(
      by,
      `mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { ${APPLICATION_FIELDS} } }`,
      { input: { industryCode, answers, values } },
    );
    return data.submitApplication;
  }

  /**
   * Hands in every material still missing, as an applicant would: the business
   * licence by reference to the e-licence library, the rest as (sample) PDF uploads.
   */
  async attachMissingMaterials(applicationId: string, by: Identity = this.clerk()) {
    const data = await this.as<{ application: { materials: { code: string; status: string }[] } }>(
      by,
      'query ($id: ID!) { application(id: $id) { materials { code status } } }',
      { id: applicationId },
    );
    for (const material of data.application.materials.filter((m) => m.status === 'MISSING')) {
      const input =
        material.code === 'business-licence'
          ? { applicationId, materialCode: material.code, heldReference: 'ELICENCE:business-licence' }
          : { applicationId, materialCode: material.code, file: { name: `${material.code}.pdf`, mediaType: 'application/pdf', contentBase64: samplePdf(material.code).toString('base64') } };
      await this.as(by, 'mutation ($input: AttachMaterialInput!) { attachMaterial(input: $input) { status } }', { input });
    }
  }

  /** The window's intake: materials handed in, then accepted and dispatched. */
  async accept(applicationId: string) {
    await this.attachMissingMaterials(applicationId);
    const data = await this.as<{ acceptApplication: ApplicationView }>(
      this.clerk(),
      `mutation ($id: ID!) { acceptApplication(id: $id) { ${APPLICATION_FIELDS} } }`,
      { id: applicationId },
    );
    return data.acceptApplication;
  }

  async application(applicationId: string, by: Identity = this.clerk()) {
    const data = await this.as<{ application: ApplicationView | null }>(by, `query ($id: ID!) { application(id: $id) { ${APPLICATION_FIELDS} } }`, {
      id: applicationId,
    });
    return data.application;
  }

  /** The department's review, until the dispatched item has arrived and waits for a decision. */
  async waitForReview(departmentCode: string, reviewId: string) {
    const dept = department(departmentCode)!;
    return eventually(`review ${reviewId} in ${departmentCode}`, async () => {
      const data = await this.as<Record<string, { review: { id: string; state: string } | null }>>(
        this.reviewer(departmentCode),
        `query ($id: ID!) { ${dept.graphqlName} { review(id: $id) { id state } } }`,
        { id: reviewId },
      );
      const review = data[dept.graphqlName].review;
      return review?.state === 'PENDING' ? review : undefined;
    });
  }

  /** A site inspection, scheduled for today and recorded as passed (for items that need one). */
  async inspect(departmentCode: string, reviewId: string, passed = true) {
    const dept = department(departmentCode)!;
    const today = beijingToday();
    await this.as(this.reviewer(departmentCode), `mutation ($id: ID!, $d: String!) { ${dept.graphqlName} { scheduleInspection(reviewId: $id, date: $d) { id } } }`, { id: reviewId, d: today });
    await this.as(this.reviewer(departmentCode), `mutation ($id: ID!, $p: Boolean!) { ${dept.graphqlName} { recordInspection(reviewId: $id, passed: $p, notes: "现场核查：场所与申报一致") { id } } }`, { id: reviewId, p: passed });
  }

  async decide(departmentCode: string, reviewId: string, decision: { approve: true } | { approve: false; reasons: string[] }) {
    const dept = department(departmentCode)!;
    const itemCode = reviewId.split(':')[1];
    if (decision.approve && dept.items.find((i) => i.code === itemCode)?.siteInspection) await this.inspect(departmentCode, reviewId);
    const field = decision.approve ? 'approve(reviewId: $id)' : 'deny(reviewId: $id, reasons: $reasons)';
    const data = await this.as<Record<string, Record<string, { id: string; state: string; licence: { id: string; status: string } | null }>>>(
      this.reviewer(departmentCode),
      `mutation ($id: ID!${decision.approve ? '' : ', $reasons: [String!]!'}) { ${dept.graphqlName} { decision: ${field} { id state licence { id status } } } }`,
      { id: reviewId, ...(decision.approve ? {} : { reasons: decision.reasons }) },
    );
    return data[dept.graphqlName].decision;
  }

  /**
   * Every item decided by its department, in the order they are dispatched (an
   * item waiting for another goes once that one is approved); items blocked by
   * a denial are left.
   */
  async decideAll(applicationId: string, deny: readonly string[] = []) {
    const pending = new Set((await this.application(applicationId))!.items.filter((i) => i.status !== 'APPROVED' && i.status !== 'DENIED').map((i) => i.itemCode));
    while (pending.size) {
      const ready = await eventually(`an item of ${applicationId} dispatched`, async () => {
        const items = (await this.application(applicationId))!.items.filter((i) => pending.has(i.itemCode));
        for (const i of items) if (i.status === 'BLOCKED') pending.delete(i.itemCode);
        const dispatched = items.filter((i) => i.status === 'DISPATCHED');
        return dispatched.length || !pending.size ? dispatched : undefined;
      });
      for (const item of ready) {
        await this.waitForReview(item.departmentCode, item.reviewId);
        await this.decide(item.departmentCode, item.reviewId, deny.includes(item.itemCode) ? { approve: false, reasons: ['不符合许可条件 / does not meet the conditions'] } : { approve: true });
        pending.delete(item.itemCode);
      }
    }
  }

  async waitUntilDecided(applicationId: string) {
    return eventually(`application ${applicationId} decided`, async () => {
      const app = await this.application(applicationId);
      return app?.status === 'DECIDED' ? app : undefined;
    });
  }

  async issuePermit(applicationId: string) {
    // The decision reaches the permit subgraph as an event; retry while it is on its way.
    return eventually(`permit for ${applicationId}`, async () => {
      const data = await this.as<{ issuePermit: { id: string; code: string; scanUrl: string; status: string } }>(
        this.issuer(),
        `mutation ($id: ID!) { issuePermit(applicationId: $id) { id code scanUrl status } }`,
        { id: applicationId },
      );
      return data.issuePermit;
    });
  }

  /** What the scan page asks, and the API's `overallState` as well (the tests check the field; the page derives it). */
  async scan(code: string) {
    const data = await this.as<{ scanPermit: (ScannedPermit & { overallState: string }) | null }>(null, SCAN_WITH_OVERALL_STATE, { code });
    return data.scanPermit;
  }

  /**
   * 一查 for one permit: each department concerned gets a roster if it has none,
   * a plan is drawn for the first period of this year on not yet drawn (every
   * valid holder, so this one is in it), and the drawn inspectors open it from
   * the permit code and record their points: all pass, but the first correction
   * point of `failDepartment`, which fails with a photo; then one of them closes.
   */
  async jointInspection(industryCode: string, permit: { id: string; code: string }, failDepartment: string, seed: string) {
    await eventually('supervision knows the permit', async () => {
      const data = await this.as<{ supervisedPermits: { permitId: string }[] }>(this.admin(), 'query ($i: ID!) { supervisedPermits(industryCode: $i, status: VALID) { permitId } }', { i: industryCode });
      return data.supervisedPermits.some((p) => p.permitId === permit.id) ? true : undefined;
    });
    const { checklist } = (await this.as<{ scanPermit: { checklist: { departmentCode: string }[] } }>(null, 'query ($c: ID!) { scanPermit(code: $c) { checklist { departmentCode } } }', { c: permit.code })).scanPermit;
    for (const departmentCode of new Set(checklist.map((p) => p.departmentCode))) {
      const { inspectorRoster } = await this.as<{ inspectorRoster: { revision: number; inspectors: unknown[] } | null }>(this.admin(), 'query ($d: String!) { inspectorRoster(departmentCode: $d) { revision inspectors { id } } }', { d: departmentCode });
      if (inspectorRoster?.inspectors.length) continue;
      const inspectors = [1, 2, 3].map((n) => ({ id: this.inspector(departmentCode, n).subject, name: `${department(departmentCode)!.nameZh}检查员${n}` }));
      await this.as(this.admin(), 'mutation ($input: InspectorRosterInput!) { setInspectorRoster(input: $input) { revision } }', { input: { departmentCode, inspectors, basedOnRevision: inspectorRoster?.revision ?? 0 } });
    }
    const year = beijingToday().slice(0, 4);
    const periods = [year, ...['Q1', 'Q2', 'Q3', 'Q4'].map((q) => `${year}-${q}`), ...Array.from({ length: 12 }, (_, m) => `${year}-${String(m + 1).padStart(2, '0')}`)];
    let period: string | undefined;
    for (const candidate of periods) {
      const { inspectionPlan } = await this.as<{ inspectionPlan: { id: string } | null }>(null, 'query ($i: ID!, $p: String!) { inspectionPlan(industryCode: $i, period: $p) { id } }', { i: industryCode, p: candidate });
      if (!inspectionPlan) {
        period = candidate;
        break;
      }
    }
    if (!period) throw new Error(`every period of ${year} already has a plan for ${industryCode}`);
    const { drawInspectionPlan: plan } = await this.as<{ drawInspectionPlan: { id: string; population: { permitId: string; grade: string; weight: number }[]; departments: { departmentCode: string; inspectors: { id: string; name: string }[] }[]; reproduced: boolean } }>(
      this.admin(),
      'mutation ($input: InspectionPlanInput!) { drawInspectionPlan(input: $input) { id population { permitId grade weight } departments { departmentCode inspectors { id name } } reproduced } }',
      { input: { industryCode, period, sampleSize: 500, inspectorsPerDepartment: 1, seed } },
    );
    const inspectorOf = (departmentCode: string): Identity => ({ role: 'INSPECTOR', subject: plan.departments.find((d) => d.departmentCode === departmentCode)!.inspectors[0].id, department: departmentCode });
    const POINTS = 'id planId points { point { code departmentCode onFailure } result }';
    const failing = new Set<string>();
    for (const { departmentCode } of plan.departments) {
      const { inspectionsForPermit } = await this.as<{ inspectionsForPermit: { planId: string; points: { point: { code: string; departmentCode: string; onFailure: string } }[] }[] }>(inspectorOf(departmentCode), `query ($c: ID!) { inspectionsForPermit(permitCode: $c) { ${POINTS} } }`, { c: permit.code });
      const points = inspectionsForPermit.find((i) => i.planId === plan.id)!.points.map((p) => p.point).filter((p) => p.departmentCode === departmentCode);
      const fail = departmentCode === failDepartment ? points.find((p) => p.onFailure === 'CORRECTION') : undefined;
      for (const point of points) {
        const failed = point === fail;
        if (failed) failing.add(point.code);
        const evidence = failed ? [{ name: 'site-photo.pdf', mediaType: 'application/pdf', contentBase64: samplePdf(`evidence ${point.code}`).toString('base64') }] : [];
        const input = { planId: plan.id, permitCode: permit.code, pointCode: point.code, result: failed ? 'FAIL' : 'PASS', note: failed ? '现场检查发现与许可条件不符（演示）' : null, evidence };
        await this.as(inspectorOf(departmentCode), 'mutation ($input: InspectionPointInput!) { recordInspectionPoint(input: $input) { id } }', { input });
      }
    }
    const { closeInspection } = await this.as<{ closeInspection: { result: string; points: unknown[]; followUps: { departmentCode: string; pointCode: string; kind: string; dueDate: string | null }[] } }>(
      inspectorOf(plan.departments[0].departmentCode),
      'mutation ($p: ID!, $c: ID!) { closeInspection(planId: $p, permitCode: $c) { result points { result } followUps { departmentCode pointCode kind dueDate } } }',
      { p: plan.id, c: permit.code },
    );
    return { plan, period, failing: [...failing], closed: closeInspection };
  }

  async riskGrade(permitCode: string) {
    const data = await this.as<{ riskGrade: { grade: string; score: number; weight: number; factors: { factor: string; points: number; detailZh: string }[] } }>(this.admin(), 'query ($c: ID!) { riskGrade(permitCode: $c) { grade score weight factors { factor points detailZh } } }', { c: permitCode });
    return data.riskGrade;
  }

  async endLicence(departmentCode: string, licenceId: string, ending: string, reason: string) {
    const dept = department(departmentCode)!;
    const data = await this.as<Record<string, { endLicence: { id: string; status: string } }>>(
      this.reviewer(departmentCode),
      `mutation ($id: ID!, $reason: String!) { ${dept.graphqlName} { endLicence(licenceId: $id, ending: ${ending}, reason: $reason) { id status } } }`,
      { id: licenceId, reason },
    );
    return data[dept.graphqlName].endLicence;
  }
}

/** A small, valid one-page PDF standing for a scanned material. */
export function samplePdf(label: string): Buffer {
  const text = `BT /F1 12 Tf 72 720 Td (${label.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
