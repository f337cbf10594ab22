import { createHash } from 'node:crypto';
import { eventually, graphql } from '../support/client';
import { sampleBusiness, sampleValues } from '../support/sample-values';
import { samplePdf, type ApplicationView } from '../support/walkthrough';
import type { Identity } from '../../shared/identity';
import { WorkingDayCalendar } from '../../shared/working-days';
import { beijingDate, beijingToday } from '../../shared/beijing-calendar';
import { serviceDatabase } from '../support/db';
import { departments } from '../../shared/registry';
import { startFakeNotifier, type FakeNotifier } from '../support/fake-notifier';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal, problemsOf } from '../support/refusals';

/**
 * The window and the departments as they really work, through the gateway on
 * the real database: materials, the one-time supplement notice, refusal and
 * withdrawal, corrections and site inspections, commitment approval and its
 * verification, working-day clocks, notifications and statistics.
 */
describe('intake and review', () => {
  let t: TestPlatform;
  let notifier: FakeNotifier;
  let calendar = new WorkingDayCalendar();
  const today = () => beijingToday();
  const answers = { ownSewerConnection: true };
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const APP = `id status acceptedAt commitments supplementedAt
    supplementNotice { deadline problems { target kind messageZh } }
    refusal { reasons } withdrawal { reason }
    materials { code status file { sha256 size mediaType reference } }
    items { itemCode departmentCode status reviewId clock { dueDate workingDaysLeft paused overdue } }`;
  type App = {
    id: string;
    status: string;
    acceptedAt: string | null;
    commitments: string[];
    supplementedAt: string | null;
    supplementNotice: { deadline: string; problems: { target: string; kind: string; messageZh: string }[] } | null;
    refusal: { reasons: string[] } | null;
    withdrawal: { reason: string } | null;
    materials: { code: string; status: string; file: { sha256: string | null; size: number | null; mediaType: string | null; reference: string | null } | null }[];
    items: { itemCode: string; departmentCode: string; status: string; reviewId: string; clock: { dueDate: string | null; workingDaysLeft: number | null; paused: boolean; overdue: boolean } | null }[];
  };
  const load = async (id: string) => (await as<{ application: App }>(t.walk.clerk(), `query ($id: ID!) { application(id: $id) { ${APP} } }`, { id })).data!.application;
  const submit = async (business: ReturnType<typeof sampleBusiness>, commitments: string[] = [], industry = 'restaurant', industryAnswers: Record<string, unknown> = answers) => {
    const form = await t.walk.form(industry, industryAnswers);
    const r = await as<{ submitApplication: { id: string } }>(
      t.walk.applicant(business.creditCode),
      'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }',
      { input: { industryCode: industry, answers: industryAnswers, values: sampleValues(form.sections.flatMap((s) => s.fields), business), commitments } },
    );
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data!.submitApplication.id;
  };
  const ATTACH = 'mutation ($input: AttachMaterialInput!) { attachMaterial(input: $input) { code status file { sha256 size mediaType reference } } }';
  const pdfFile = (label: string) => ({ name: `${label}.pdf`, mediaType: 'application/pdf', contentBase64: samplePdf(label).toString('base64') });

  beforeAll(async () => {
    notifier = await startFakeNotifier();
    t = await startTestPlatform({ NOTIFIER_URL: notifier.url, NOTIFIER_TOKEN: notifier.token });
  });
  afterAll(async () => {
    await t?.stop();
    await notifier?.close();
  });

  // First: the schedule it loads lets the later tests count working days into next year, as the platform does once an admin has loaded it.
  describe('the calendar', () => {
    it('flags a year without an official schedule until an admin loads it, and passes it to every department', async () => {
      const status = async () => (await as<{ calendarStatus: { unknownYearsAhead: number[]; loaded: { year: number }[] } }>(null, '{ calendarStatus { unknownYearsAhead loaded { year } } }')).data!.calendarStatus;
      const year = Number(today().slice(0, 4));
      const expected = new WorkingDayCalendar().unknownYears(year, year + 1);
      expect((await status()).unknownYearsAhead).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0); // the library does not know next year yet
      const unknown = expected[0];
      const LOAD = 'mutation ($input: HolidayScheduleInput!) { loadHolidaySchedule(input: $input) { year } }';
      // Illustrative schedule (the real one comes from the State Council's notice).
      const schedule = { year: unknown, holidays: [`${unknown}-01-01`], workdays: [], source: '示例：国务院办公厅节假日安排通知' };
      expectRefusal(await as(t.walk.clerk(), LOAD, { input: schedule }), 'FORBIDDEN');
      const wednesday = [...Array(7)].map((_, i) => `${unknown}-03-0${i + 1}`).find((d) => new Date(`${d}T00:00:00Z`).getUTCDay() === 3)!;
      expect(problemsOf(await as(t.walk.admin(), LOAD, { input: { ...schedule, workdays: [wednesday] } })).map((p) => p.code)).toContain('WORKDAY_NOT_WEEKEND');
      expect((await as(t.walk.admin(), LOAD, { input: schedule })).errors).toBeUndefined();
      expect((await status()).unknownYearsAhead).not.toContain(unknown);
      for (const { code } of departments()) {
        const db = await serviceDatabase(t.platform, code);
        await eventually(`${code} has the schedule`, async () => ((await db.db!.collection('calendar_schedules').findOne({ year: unknown })) ? true : undefined));
        await db.close();
      }
      // The tests below count working days as the platform now does, across the year just loaded.
      calendar = new WorkingDayCalendar([schedule]);
    });
  });

  describe('materials', () => {
    const business = sampleBusiness(801);
    const owner = () => t.walk.applicant(business.creditCode);
    let id: string;
    // A travel agency needs the business licence among its materials: it is held in the e-licence library.
    const travelAgency = (b = business) => submit(b, [], 'travel-agency', { installsSignboard: false });
    beforeAll(async () => {
      id = await travelAgency();
    });

    it('stores an upload with its hash and size, and references a material already held', async () => {
      const before = await load(id);
      expect(before.materials.length).toBeGreaterThan(3);
      expect(before.materials.every((m) => m.status === 'MISSING')).toBe(true);
      const held = await as<{ attachMaterial: App['materials'][number] }>(owner(), ATTACH, { input: { applicationId: id, materialCode: 'business-licence', heldReference: 'ELICENCE:business-licence' } });
      expect(held.data!.attachMaterial).toMatchObject({ status: 'HELD', file: { reference: `ELICENCE:business-licence:${business.creditCode}`, sha256: null } });
      const code = before.materials.find((m) => m.code !== 'business-licence')!.code;
      const bytes = samplePdf(code);
      const uploaded = await as<{ attachMaterial: App['materials'][number] }>(owner(), ATTACH, { input: { applicationId: id, materialCode: code, file: pdfFile(code) } });
      expect(uploaded.data!.attachMaterial).toEqual({
        code,
        status: 'PROVIDED',
        file: { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, mediaType: 'application/pdf', reference: null },
      });
      // The same business can reference that upload in a later application instead of sending it again.
      const held2 = await as<{ heldMaterials: { reference: string; materialCode: string }[] }>(owner(), 'query ($c: String!) { heldMaterials(creditCode: $c) { reference materialCode } }', { c: business.creditCode });
      expect(held2.data!.heldMaterials).toEqual(
        expect.arrayContaining([{ reference: 'ELICENCE:business-licence', materialCode: 'business-licence' }, { reference: `UPLOAD:${uploaded.data!.attachMaterial.file!.sha256}`, materialCode: code }]),
      );
      const second = await travelAgency();
      const reused = await as<{ attachMaterial: App['materials'][number] }>(owner(), ATTACH, { input: { applicationId: second, materialCode: code, heldReference: `UPLOAD:${uploaded.data!.attachMaterial.file!.sha256}` } });
      expect(reused.data!.attachMaterial).toMatchObject({ status: 'HELD', file: { sha256: uploaded.data!.attachMaterial.file!.sha256, size: bytes.length } });
    });

    it('refuses wrong types, oversized files, unknown materials and other businesses, storing nothing', async () => {
      const before = await load(id);
      const code = before.materials.find((m) => m.status === 'MISSING')!.code;
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString('base64');
      const mismatch = await as(owner(), ATTACH, { input: { applicationId: id, materialCode: code, file: { name: 'x.pdf', mediaType: 'application/pdf', contentBase64: png } } });
      expect(problemsOf(mismatch)).toEqual([expect.objectContaining({ path: 'input.file.contentBase64', code: 'CONTENT_MISMATCH' })]);
      const text = await as(owner(), ATTACH, { input: { applicationId: id, materialCode: code, file: { name: 'x.txt', mediaType: 'text/plain', contentBase64: Buffer.from('hello').toString('base64') } } });
      expect(problemsOf(text).map((p) => p.code)).toContain('INVALID_MEDIA_TYPE');
      const big = Buffer.concat([samplePdf('big'), Buffer.alloc(5 * 1024 * 1024)]).toString('base64');
      const oversized = await as(owner(), ATTACH, { input: { applicationId: id, materialCode: code, file: { name: 'big.pdf', mediaType: 'application/pdf', contentBase64: big } } });
      expect(problemsOf(oversized)).toEqual([expect.objectContaining({ code: 'TOO_LARGE' })]);
      expect(problemsOf(await as(owner(), ATTACH, { input: { applicationId: id, materialCode: 'moon-map', file: pdfFile('m') } }))).toEqual([
        expect.objectContaining({ path: 'input.materialCode', code: 'UNKNOWN_MATERIAL' }),
      ]);
      expectRefusal(await as(t.walk.applicant(sampleBusiness(802).creditCode), ATTACH, { input: { applicationId: id, materialCode: code, file: pdfFile(code) } }), 'FORBIDDEN');
      expectRefusal(await as(t.walk.reviewer('water'), ATTACH, { input: { applicationId: id, materialCode: code, file: pdfFile(code) } }), 'FORBIDDEN');
      expect((await load(id)).materials).toEqual(before.materials);
    });
  });

  describe('intake at the window', () => {
    const business = sampleBusiness(811);
    let id: string;
    beforeAll(async () => {
      id = await submit(business);
    });

    it('refuses to accept while materials are missing, naming each', async () => {
      const missing = (await load(id)).materials.filter((m) => m.status === 'MISSING').map((m) => m.code);
      const refused = await as(t.walk.clerk(), 'mutation ($id: ID!) { acceptApplication(id: $id) { id } }', { id });
      expect(problemsOf(refused).map((p) => p.path).sort()).toEqual(missing.map((c) => `materials.${c}`).sort());
      expect((await load(id)).status).toBe('SUBMITTED');
    });

    it('sends one supplement notice listing everything at once; the applicant supplements once; then it is accepted', async () => {
      const SUPPLEMENT = 'mutation ($id: ID!, $p: [SupplementProblemInput!]!) { requestSupplement(applicationId: $id, problems: $p) { id } }';
      const problem = { target: 'contactPhone', messageZh: '联系电话无人接听，请核对' };
      expectRefusal(await as(t.walk.applicant(business.creditCode), SUPPLEMENT, { id, p: [problem] }), 'FORBIDDEN');
      expect(problemsOf(await as(t.walk.clerk(), SUPPLEMENT, { id, p: [{ target: 'horoscope', messageZh: '星座不对' }] }))).toEqual([
        expect.objectContaining({ path: 'problems.0.target', code: 'UNKNOWN_TARGET' }),
      ]);
      expect((await as(t.walk.clerk(), SUPPLEMENT, { id, p: [problem] })).errors).toBeUndefined();
      const noticed = await load(id);
      const missing = noticed.materials.filter((m) => m.status === 'MISSING').map((m) => m.code);
      expect(noticed.status).toBe('SUPPLEMENT_REQUESTED');
      expect(noticed.supplementNotice!.problems.map((p) => p.target).sort()).toEqual(['contactPhone', ...missing].sort());
      expect(noticed.supplementNotice!.deadline).toBe(calendar.addWorkingDays(today(), 10));
      expectRefusal(await as(t.walk.clerk(), SUPPLEMENT, { id, p: [problem] }), 'WRONG_STATE');
      expectRefusal(await as(t.walk.clerk(), 'mutation ($id: ID!) { acceptApplication(id: $id) { id } }', { id }), 'WRONG_STATE');

      const SUPPLY = 'mutation ($id: ID!, $v: JSON) { supplementApplication(applicationId: $id, values: $v) { status } }';
      const early = await as(t.walk.applicant(business.creditCode), SUPPLY, { id, v: { contactPhone: '13911112222' } });
      expect(problemsOf(early).map((p) => p.code)).toEqual(missing.map(() => 'MISSING_MATERIAL'));
      await t.walk.attachMissingMaterials(id, t.walk.applicant(business.creditCode));
      expect(problemsOf(await as(t.walk.applicant(business.creditCode), SUPPLY, { id, v: { contactPhone: '12' } }))).toEqual([
        expect.objectContaining({ path: 'values.contactPhone', code: 'INVALID_PHONE' }),
      ]);
      const supplied = await as<{ supplementApplication: { status: string } }>(t.walk.applicant(business.creditCode), SUPPLY, { id, v: { contactPhone: '13911112222' } });
      expect(supplied.data!.supplementApplication.status).toBe('SUBMITTED');
      expectRefusal(await as(t.walk.applicant(business.creditCode), SUPPLY, { id, v: {} }), 'WRONG_STATE');
      expectRefusal(await as(t.walk.clerk(), SUPPLEMENT, { id, p: [problem] }), 'WRONG_STATE'); // one notice only

      const accepted = await t.walk.accept(id);
      expect(accepted.status).toBe('ACCEPTED');
      const clocked = await load(id);
      for (const item of clocked.items) expect(item.clock).toMatchObject({ paused: false, overdue: false });
      const acceptedOn = beijingDate(new Date(clocked.acceptedAt!));
      expect(clocked.items[0].clock!.dueDate).toBe(calendar.addWorkingDays(acceptedOn, 5));
      // The application's unified limit is its longest item's.
      const unified = await as<{ application: { clock: { dueDate: string } } }>(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { clock { dueDate } } }', { id });
      expect(unified.data!.application.clock.dueDate).toBe(clocked.items.map((i) => i.clock!.dueDate!).sort().at(-1));
    });

    it('refuses a supplement after its deadline', async () => {
      const late = await submit(sampleBusiness(812));
      await as(t.walk.clerk(), 'mutation ($id: ID!) { requestSupplement(applicationId: $id, problems: [{ target: "other", messageZh: "请补充说明" }]) { id } }', { id: late });
      // Time passes: the deadline was yesterday.
      const db = await serviceDatabase(t.platform, 'applications');
      await db.db!.collection('application_steps').updateOne({ applicationId: late, kind: 'SUPPLEMENT_REQUESTED' }, { $set: { 'notice.deadline': beijingDate(new Date(Date.now() - 86400e3)) } });
      await db.close();
      const refused = await as(t.walk.applicant(sampleBusiness(812).creditCode), 'mutation ($id: ID!) { supplementApplication(applicationId: $id, values: {}) { status } }', { id: late });
      expectRefusal(refused, 'WRONG_STATE', 'applicationId');
      expect(refused.errors![0].extensions?.messageZh).toContain('期限');
      expect((await load(late)).status).toBe('SUPPLEMENT_REQUESTED');
      // The window can then refuse it.
      const closed = await as<{ refuseAtIntake: { status: string } }>(t.walk.clerk(), 'mutation ($id: ID!) { refuseAtIntake(applicationId: $id, reasons: ["逾期未补正"]) { status } }', { id: late });
      expect(closed.data!.refuseAtIntake.status).toBe('REFUSED');
    });

    it('refuses at intake with reasons', async () => {
      const other = await submit(sampleBusiness(813));
      const REFUSE = 'mutation ($id: ID!, $r: [String!]!) { refuseAtIntake(applicationId: $id, reasons: $r) { status refusal { reasons } } }';
      expectRefusal(await as(t.walk.applicant(sampleBusiness(813).creditCode), REFUSE, { id: other, r: ['x'] }), 'FORBIDDEN');
      expectRefusal(await as(t.walk.clerk(), REFUSE, { id: other, r: [' '] }), 'BAD_USER_INPUT', 'reasons');
      const refused = await as<{ refuseAtIntake: { status: string; refusal: { reasons: string[] } } }>(t.walk.clerk(), REFUSE, { id: other, r: ['经营项目不属于一业一证改革范围'] });
      expect(refused.data!.refuseAtIntake).toEqual({ status: 'REFUSED', refusal: { reasons: ['经营项目不属于一业一证改革范围'] } });
      expectRefusal(await as(t.walk.clerk(), 'mutation ($id: ID!) { acceptApplication(id: $id) { id } }', { id: other }), 'WRONG_STATE');
    });

    it('lets the applicant withdraw before a decision, and not after', async () => {
      const business2 = sampleBusiness(814);
      const other = await submit(business2);
      const accepted = await t.walk.accept(other);
      const WITHDRAW = 'mutation ($id: ID!) { withdrawApplication(applicationId: $id, reason: "不再经营") { status } }';
      expectRefusal(await as(t.walk.applicant(sampleBusiness(815).creditCode), WITHDRAW, { id: other }), 'FORBIDDEN');
      expect((await as<{ withdrawApplication: { status: string } }>(t.walk.applicant(business2.creditCode), WITHDRAW, { id: other })).data!.withdrawApplication.status).toBe('WITHDRAWN');
      expectRefusal(await as(t.walk.applicant(business2.creditCode), WITHDRAW, { id: other }), 'WRONG_STATE');
      // The department closes its review and will not decide it.
      const food = accepted.items[0];
      const review = await eventually('review withdrawn', async () => {
        const r = await as<{ marketRegulation: { review: { state: string } | null } }>(t.walk.reviewer('market-regulation'), 'query ($id: ID!) { marketRegulation { review(id: $id) { state } } }', { id: food.reviewId });
        return r.data!.marketRegulation.review?.state === 'WITHDRAWN' ? r : undefined;
      });
      expect(review.data!.marketRegulation.review!.state).toBe('WITHDRAWN');
      expectRefusal(await as(t.walk.reviewer('market-regulation'), 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { id } } }', { id: food.reviewId }), 'WRONG_STATE');

      const decided = await submit(sampleBusiness(816));
      const app = await t.walk.accept(decided);
      await t.walk.waitForReview('market-regulation', app.items[0].reviewId);
      await t.walk.decide('market-regulation', app.items[0].reviewId, { approve: true });
      await eventually('decision reached the application', async () => ((await load(decided)).items[0].status === 'APPROVED' ? true : undefined));
      expectRefusal(await as(t.walk.applicant(sampleBusiness(816).creditCode), WITHDRAW, { id: decided }), 'WRONG_STATE');
    });
  });

  describe('review in the departments', () => {
    const business = sampleBusiness(821);
    let app: ApplicationView;
    beforeAll(async () => {
      app = await t.walk.accept(await submit(business));
      for (const item of app.items) await t.walk.waitForReview(item.departmentCode, item.reviewId);
    });

    it('asks for a correction once per item, pausing its clock until the applicant corrects', async () => {
      const food = app.items[0];
      const CORRECT = 'mutation ($id: ID!, $p: [String!]!) { marketRegulation { requestCorrection(reviewId: $id, problems: $p) { state clock { paused } } } }';
      expectRefusal(await as(t.walk.reviewer('water'), CORRECT, { id: food.reviewId, p: ['x'] }), 'FORBIDDEN');
      expectRefusal(await as(t.walk.reviewer('market-regulation'), CORRECT, { id: food.reviewId, p: [] }), 'BAD_USER_INPUT', 'problems');
      const asked = await as<{ marketRegulation: { requestCorrection: { state: string; clock: { paused: boolean } } } }>(t.walk.reviewer('market-regulation'), CORRECT, {
        id: food.reviewId,
        p: ['经营项目与平面布局不一致'],
      });
      expect(asked.data!.marketRegulation.requestCorrection).toEqual({ state: 'CORRECTION_REQUESTED', clock: { paused: true } });
      expectRefusal(await as(t.walk.reviewer('market-regulation'), 'mutation ($id: ID!) { marketRegulation { approve(reviewId: $id) { id } } }', { id: food.reviewId }), 'WRONG_STATE');
      await eventually('the application sees the pause', async () => ((await load(app.id)).items[0].clock?.paused ? true : undefined));

      const SUBMIT = 'mutation ($id: ID!, $i: String!, $v: JSON) { submitCorrection(applicationId: $id, itemCode: $i, values: $v) { id items { itemCode clock { paused } } } }';
      expect(problemsOf(await as(t.walk.applicant(business.creditCode), SUBMIT, { id: app.id, i: food.itemCode, v: { businessItems: ['SPACESHIPS'] } }))).toEqual([
        expect.objectContaining({ path: 'values.businessItems', code: 'INVALID_OPTION' }),
      ]);
      expectRefusal(await as(t.walk.applicant(business.creditCode), SUBMIT, { id: app.id, i: 'FR-FIRE-CHECK', v: {} }), 'WRONG_STATE');
      // The payload is the application, the item's clock running again.
      type Corrected = { submitCorrection: { id: string; items: { itemCode: string; clock: { paused: boolean } | null }[] } };
      const corrected = (await as<Corrected>(t.walk.applicant(business.creditCode), SUBMIT, { id: app.id, i: food.itemCode, v: { businessItems: ['PREPACKAGED'] } })).data!.submitCorrection;
      expect(corrected.id).toBe(app.id);
      expect(corrected.items.find((i) => i.itemCode === food.itemCode)!.clock).toMatchObject({ paused: false });
      const back = await eventually('review back with the department', async () => {
        const r = await as<{ marketRegulation: { review: { state: string; values: Record<string, unknown>; clock: { paused: boolean } } } }>(
          t.walk.reviewer('market-regulation'),
          'query ($id: ID!) { marketRegulation { review(id: $id) { state values clock { paused } } } }',
          { id: food.reviewId },
        );
        return r.data!.marketRegulation.review.state === 'PENDING' ? r.data!.marketRegulation.review : undefined;
      });
      expect(back.values.businessItems).toEqual(['PREPACKAGED']);
      expect(back.clock.paused).toBe(false);
      // Once per item: the law allows no second request here.
      expectRefusal(await as(t.walk.reviewer('market-regulation'), CORRECT, { id: food.reviewId, p: ['再补正'] }), 'WRONG_STATE');
      expect((await t.walk.decide('market-regulation', food.reviewId, { approve: true })).state).toBe('APPROVED');
    });

    it('approves an item that needs a site inspection only after it has been recorded as passed', async () => {
      const fire = app.items[1];
      const reviewer = t.walk.reviewer('fire-rescue');
      expectRefusal(await as(reviewer, 'mutation ($id: ID!) { fireRescue { approve(reviewId: $id) { id } } }', { id: fire.reviewId }), 'WRONG_STATE', 'reviewId');
      expectRefusal(await as(reviewer, 'mutation ($id: ID!) { fireRescue { recordInspection(reviewId: $id, passed: true, notes: "ok") { id } } }', { id: fire.reviewId }), 'WRONG_STATE');
      expect(problemsOf(await as(reviewer, 'mutation ($id: ID!) { fireRescue { scheduleInspection(reviewId: $id, date: "2020-01-01") { id } } }', { id: fire.reviewId }))).toEqual([
        expect.objectContaining({ path: 'date', code: 'INVALID_DATE' }),
      ]);
      await as(reviewer, 'mutation ($id: ID!, $d: String!) { fireRescue { scheduleInspection(reviewId: $id, date: $d) { id } } }', { id: fire.reviewId, d: today() });
      await as(reviewer, 'mutation ($id: ID!) { fireRescue { recordInspection(reviewId: $id, passed: false, notes: "疏散通道堵塞") { id } } }', { id: fire.reviewId });
      expectRefusal(await as(reviewer, 'mutation ($id: ID!) { fireRescue { approve(reviewId: $id) { id } } }', { id: fire.reviewId }), 'WRONG_STATE');
      await as(reviewer, 'mutation ($id: ID!) { fireRescue { recordInspection(reviewId: $id, passed: true, notes: "整改后复查合格") { id } } }', { id: fire.reviewId });
      const approved = await as<{ fireRescue: { approve: { state: string; inspection: { passed: boolean; notes: string } } } }>(
        reviewer,
        'mutation ($id: ID!) { fireRescue { approve(reviewId: $id) { state inspection { passed notes } } } }',
        { id: fire.reviewId },
      );
      expect(approved.data!.fireRescue.approve).toEqual({ state: 'APPROVED', inspection: { passed: true, notes: '整改后复查合格' } });
    });
  });

  describe('notification-commitment (告知承诺)', () => {
    const business = sampleBusiness(831);
    it('refuses a commitment on an item that does not allow one', async () => {
      const form = await t.walk.form('restaurant', answers);
      const refused = await as(t.walk.applicant(business.creditCode), 'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }', {
        input: { industryCode: 'restaurant', answers, values: sampleValues(form.sections.flatMap((s) => s.fields), business), commitments: ['FR-FIRE-CHECK'] },
      });
      expect(problemsOf(refused)).toEqual([expect.objectContaining({ path: 'input.commitments.0', code: 'COMMITMENT_NOT_ALLOWED' })]);
    });

    it('runs the whole path: supplement, acceptance, approval on commitment, a failed verification, the permit voided', async () => {
      const id = await submit(business, ['WA-DRAINAGE']);
      const submitted = await load(id);
      expect(submitted.commitments).toEqual(['WA-DRAINAGE']);
      expect(submitted.materials.filter((m) => m.status === 'COMMITTED').map((m) => m.code).length).toBeGreaterThan(0);
      // Incomplete at the window: one supplement notice, one supplement.
      await as(t.walk.clerk(), 'mutation ($id: ID!) { requestSupplement(applicationId: $id, problems: []) { id } }', { id });
      expect((await load(id)).supplementNotice!.problems.every((p) => p.kind === 'MATERIAL')).toBe(true);
      await t.walk.attachMissingMaterials(id, t.walk.applicant(business.creditCode));
      await as(t.walk.applicant(business.creditCode), 'mutation ($id: ID!) { supplementApplication(applicationId: $id) { status } }', { id });
      const accepted = await t.walk.accept(id);
      const drainage = accepted.items.find((i) => i.itemCode === 'WA-DRAINAGE')!;
      // No reviewer acts: the commitment approves it.
      const approved = await eventually('approved on commitment', async () => {
        const r = await as<{ water: { review: { state: string; onCommitment: boolean; licence: { id: string } | null } | null } }>(
          t.walk.reviewer('water'),
          'query ($id: ID!) { water { review(id: $id) { state onCommitment licence { id } } } }',
          { id: drainage.reviewId },
        );
        return r.data!.water.review?.state === 'APPROVED' ? r.data!.water.review : undefined;
      });
      expect(approved.onCommitment).toBe(true);
      const tasks = await as<{ water: { verificationTasks: { id: string; state: string; deadline: string; licenceId: string }[] } }>(t.walk.reviewer('water'), '{ water { verificationTasks(state: OPEN) { id state deadline licenceId } } }');
      const task = tasks.data!.water.verificationTasks.find((x) => x.id === drainage.reviewId)!;
      expect(task).toMatchObject({ state: 'OPEN', licenceId: approved.licence!.id });
      // 20 working days on, counted across next year's schedule loaded above.
      expect(task.deadline).toBe(calendar.addWorkingDays(today(), 20));

      for (const item of accepted.items.filter((i) => i !== drainage)) {
        await t.walk.waitForReview(item.departmentCode, item.reviewId);
        await t.walk.decide(item.departmentCode, item.reviewId, { approve: true });
      }
      await t.walk.waitUntilDecided(id);
      const permit = await t.walk.issuePermit(id);
      // On issue the holder is told who decided each item and the remedy against it.
      const told = await eventually('permit notification', async () => {
        const r = await as<{ notifications: { kind: string; bodyZh: string }[] }>(t.walk.applicant(business.creditCode), 'query ($id: ID) { notifications(applicationId: $id) { kind bodyZh } }', { id });
        return r.data!.notifications.find((n) => n.kind === 'PERMIT_ISSUED');
      });
      expect(told.bodyZh).toContain(permit.code);
      expect(told.bodyZh).toContain('顺义区水务局审批');
      expect(told.bodyZh).toContain('北京市顺义区人民法院');

      const VERIFY = 'mutation ($id: ID!, $p: Boolean!, $n: String!) { water { recordVerification(reviewId: $id, passed: $p, notes: $n) { state } } }';
      expectRefusal(await as(t.walk.reviewer('health'), VERIFY, { id: drainage.reviewId, p: false, n: 'x' }), 'FORBIDDEN');
      expectRefusal(await as(t.walk.reviewer('water'), VERIFY, { id: drainage.reviewId, p: false, n: ' ' }), 'BAD_USER_INPUT', 'notes');
      const failed = await as<{ water: { recordVerification: { state: string } } }>(t.walk.reviewer('water'), VERIFY, { id: drainage.reviewId, p: false, n: '现场无预处理设施，承诺不实' });
      expect(failed.data!.water.recordVerification.state).toBe('FAILED');
      expectRefusal(await as(t.walk.reviewer('water'), VERIFY, { id: drainage.reviewId, p: true, n: 'again' }), 'WRONG_STATE');
      const voided = await eventually('permit void after the failed verification', async () => {
        const s = (await t.walk.scan(permit.code))!;
        return s.status === 'VOID' ? s : undefined;
      });
      expect(voided.voidReason).toContain('撤销');
      expect(voided.items.find((i) => i.itemCode === 'WA-DRAINAGE')!.licence!.status).toBe('ANNULLED');
    });
  });

  describe('notifications and statistics', () => {
    it('tells the applicant of each step, through the sender, and loses nothing while it is down', async () => {
      const business = sampleBusiness(841);
      notifier.setDown(true);
      const id = await submit(business);
      const app = await t.walk.accept(id);
      await t.walk.waitForReview('market-regulation', app.items[0].reviewId);
      await t.walk.decide('market-regulation', app.items[0].reviewId, { approve: true });
      const NOTES = 'query ($id: ID) { notifications(applicationId: $id) { kind delivery } }';
      const pending = await eventually('notifications recorded', async () => {
        const r = await as<{ notifications: { kind: string; delivery: string }[] }>(t.walk.applicant(business.creditCode), NOTES, { id });
        return r.data!.notifications.length >= 2 ? r.data!.notifications : undefined;
      });
      expect(pending.map((n) => n.kind)).toEqual(['ACCEPTED', 'ITEM_APPROVED']);
      expect(pending.every((n) => n.delivery === 'PENDING')).toBe(true);
      notifier.setDown(false);
      await eventually('sent after the outage', async () => {
        const r = await as<{ notifications: { delivery: string }[] }>(t.walk.applicant(business.creditCode), NOTES, { id });
        return r.data!.notifications.every((n) => n.delivery === 'SENT') ? true : undefined;
      }, 30000);
      // Each once; after an outage they are not necessarily sent in the order they were written.
      const mine = notifier.messages.filter((m) => m.body.creditCode === business.creditCode).map((m) => String(m.body.kind));
      expect(mine.sort()).toEqual(['ACCEPTED', 'ITEM_APPROVED']);
      // Applicants see only their own.
      const others = await as<{ notifications: unknown[] }>(t.walk.applicant(sampleBusiness(842).creditCode), NOTES, { id });
      expect(others.data!.notifications).toEqual([]);
    });

    it('lists overdue and near-due items for the bureau', async () => {
      const business = sampleBusiness(851);
      const app = await t.walk.accept(await submit(business));
      // Time passes: accepted 30 days ago, nothing decided yet.
      const db = await serviceDatabase(t.platform, 'applications');
      await db.db!.collection('application_steps').updateOne({ applicationId: app.id, kind: 'ACCEPTED' }, { $set: { at: new Date(Date.now() - 30 * 86400e3) } });
      await db.close();
      const DUE = '{ itemsDue { applicationId itemCode clock { overdue workingDaysLeft dueDate } } }';
      expectRefusal(await as(t.walk.applicant(business.creditCode), DUE), 'FORBIDDEN');
      const due = await as<{ itemsDue: { applicationId: string; itemCode: string; clock: { overdue: boolean; workingDaysLeft: number; dueDate: string } }[] }>(t.walk.issuer(), DUE);
      const mine = due.data!.itemsDue.filter((d) => d.applicationId === app.id);
      expect(mine.map((d) => d.itemCode).sort()).toEqual(app.items.map((i) => i.itemCode).sort());
      for (const d of mine) {
        expect(d.clock.overdue).toBe(true);
        expect(d.clock.workingDaysLeft).toBeLessThan(0);
        expect(d.clock.dueDate < today()).toBe(true);
      }
    });

    it('gives analysts processing times per industry and department on seeded history', async () => {
      // Five items decided in 3, 4, 6, 10 and 20 working days (one with a 2-day correction pause), across 2025's National Day.
      const db = await serviceDatabase(t.platform, 'applications');
      const seed = [
        { accepted: '2025-09-26', decided: '2025-10-09', pauses: [] }, // across National Day: 09-28 (make-up Sunday), 09-29, 09-30, 10-09
        { accepted: '2025-09-22', decided: '2025-09-25', pauses: [] },
        { accepted: '2025-09-15', decided: '2025-09-23', pauses: [] },
        { accepted: '2025-09-01', decided: '2025-09-17', pauses: [{ from: '2025-09-03', to: '2025-09-04' }] },
        { accepted: '2025-08-01', decided: '2025-08-29', pauses: [] },
      ];
      const expected = seed.map((s) => calendar.workingDaysBetween(s.accepted, s.decided, s.pauses.map((p) => [p.from, p.to] as [string, string])));
      expect(expected).toEqual([4, 3, 6, 10, 20]);
      for (const [i, s] of seed.entries()) {
        const appId = `seed-${i}`;
        await db.db!.collection('applications').insertOne({
          _id: appId as never,
          number: `SEED-${i}`,
          industryCode: 'seed-industry',
          edition: 'E1',
          creditCode: 'seed',
          holderName: 'seed',
          values: {},
          items: [{ itemCode: 'SEED-ITEM', departmentCode: 'seed-department' }],
          submittedAt: new Date(`${s.accepted}T01:00:00Z`),
          commitments: [],
        });
        const at = new Date(`${s.accepted}T02:00:00Z`);
        await db.db!.collection('application_steps').insertOne({ _id: `${appId}#1` as never, applicationId: appId, seq: 1, kind: 'ACCEPTED', at, by: 'seed' });
        await db.db!.collection('application_steps').insertOne({
          _id: `${appId}#2` as never,
          applicationId: appId,
          seq: 2,
          kind: 'ITEM_DECIDED',
          at,
          by: 'seed',
          settles: ['DECIDED'],
          outcome: {
            itemCode: 'SEED-ITEM',
            round: 1,
            decision: i === 4 ? 'DENIED' : 'APPROVED',
            reasons: [],
            decidedAt: new Date(`${s.decided}T03:00:00Z`),
            licenceId: null,
            licenceType: null,
            pauses: s.pauses,
            onCommitment: false,
          },
        });
      }
      await db.close();
      type Group = { key: string; decided: number; medianWorkingDays: number; p90WorkingDays: number; countsByState: { state: string; count: number }[] };
      const stats = await as<{ processingStatistics: { byIndustry: Group[]; byDepartment: Group[] } }>(
        { role: 'ANALYST', subject: 'analyst-01' },
        '{ processingStatistics { byIndustry { key decided medianWorkingDays p90WorkingDays countsByState { state count } } byDepartment { key decided medianWorkingDays p90WorkingDays } } }',
      );
      const industry = stats.data!.processingStatistics.byIndustry.find((g) => g.key === 'seed-industry')!;
      expect(industry).toEqual({ key: 'seed-industry', decided: 5, medianWorkingDays: 6, p90WorkingDays: 20, countsByState: [{ state: 'APPROVED', count: 4 }, { state: 'DENIED', count: 1 }] });
      expect(stats.data!.processingStatistics.byDepartment.find((g) => g.key === 'seed-department')).toMatchObject({ decided: 5, medianWorkingDays: 6, p90WorkingDays: 20 });
      // Per item, the whole distribution; the seeded item is in no edition, so it has no limits to compare with.
      const byItem = await as<{ processingStatistics: { byItem: { itemCode: string; decided: number; statutoryDays: number | null; overCommitted: number; distribution: { workingDays: number; count: number }[] }[]; intake: { itemsDecided: number; itemsDenied: number; denialRate: number } } }>(
        { role: 'ANALYST', subject: 'analyst-01' },
        '{ processingStatistics { byItem { itemCode decided statutoryDays overCommitted distribution { workingDays count } } intake { itemsDecided itemsDenied denialRate } } }',
      );
      expect(byItem.data!.processingStatistics.byItem.find((i) => i.itemCode === 'SEED-ITEM')).toEqual({
        itemCode: 'SEED-ITEM',
        decided: 5,
        statutoryDays: null,
        overCommitted: 0,
        distribution: [3, 4, 6, 10, 20].map((workingDays) => ({ workingDays, count: 1 })),
      });
      const { intake } = byItem.data!.processingStatistics;
      expect(intake.itemsDenied).toBeGreaterThanOrEqual(1);
      expect(intake.denialRate).toBeCloseTo(intake.itemsDenied / intake.itemsDecided, 10);
      expectRefusal(await as(t.walk.clerk(), '{ processingStatistics { byIndustry { key } } }'), 'FORBIDDEN');
    });
  });
});
