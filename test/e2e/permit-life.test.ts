import { execFileSync } from 'node:child_process';
import { request } from 'undici';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, graphql } from '../support/client';
import { sampleBusiness, sampleValues } from '../support/sample-values';
import type { ApplicationView } from '../support/walkthrough';
import type { Identity } from '../../shared/identity';
import { parseElectronicLicenceIdentifier } from '../../shared/elicence';
import { parseQrContent, verifyQr } from '../../shared/permit-code';
import { beijingDate } from '../../shared/beijing-calendar';
import { serviceDatabase } from '../support/db';
import { startFakeCityLibrary, type FakeCityLibrary } from '../support/fake-city-library';
import { decodeQr, rasterisePdf } from '../support/pdf';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal, problemsOf } from '../support/refusals';

/** The comprehensive permit's whole life through the gateway, each step by the right role and refused for others. */
describe('the permit from issue to recall', () => {
  let t: TestPlatform;
  let library: FakeCityLibrary;
  const business = sampleBusiness(501);
  const stranger = sampleBusiness(502);
  const answers = { ownSewerConnection: true };
  let app: ApplicationView;

  const PERMIT = `id code version status reissueDue scanUrl licenceIdentifier holderName businessAddress voidReason recalledAt
    supersededBy { id code } currentVersion { id code version }
    items { itemCode departmentCode permitted notPermittedReasons remedy { reconsiderationZh courtZh } licence { id status validUntil holderName } }`;
  type Permit = {
    id: string;
    code: string;
    version: number;
    status: string;
    reissueDue: boolean;
    scanUrl: string;
    licenceIdentifier: string;
    holderName: string;
    businessAddress: string;
    voidReason: string | null;
    recalledAt: string | null;
    supersededBy: { id: string; code: string } | null;
    currentVersion: { id: string; code: string; version: number };
    items: { itemCode: string; departmentCode: string; permitted: boolean; notPermittedReasons: string[] | null; remedy: { reconsiderationZh: string; courtZh: string }; licence: { id: string; status: string; validUntil: string | null; holderName: string } | null }[];
  };
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const holder = () => t.walk.applicant(business.creditCode);
  const issuer = () => t.walk.issuer();
  const permitById = async (id: string) => (await as<{ permit: Permit }>(issuer(), `query ($id: ID!) { permit(id: $id) { ${PERMIT} } }`, { id })).data!.permit;
  const scan = async (code: string) => (await as<{ scanPermit: Permit }>(null, `query ($c: ID!) { scanPermit(code: $c) { ${PERMIT} } }`, { c: code })).data!.scanPermit;
  const applied = (identifier: string) => (library.applied.get(identifier) ?? []).map((b) => b.event);
  let v1: Permit;
  let v2: Permit;
  let v3: Permit;

  beforeAll(async () => {
    library = await startFakeCityLibrary();
    t = await startTestPlatform({ CITY_LIBRARY_URL: library.url, CITY_LIBRARY_TOKEN: library.token });
    const form = await t.walk.form('restaurant', answers);
    const submitted = await t.walk.submit(holder(), 'restaurant', answers, sampleValues(form.sections.flatMap((s) => s.fields), business));
    app = await t.walk.accept(submitted.id);
    for (const item of app.items) {
      await t.walk.waitForReview(item.departmentCode, item.reviewId);
      if (item.itemCode === 'WA-DRAINAGE') await t.walk.decide(item.departmentCode, item.reviewId, { approve: false, reasons: ['预处理设施未建成'] });
      else await t.walk.decide(item.departmentCode, item.reviewId, { approve: true });
    }
    app = await t.walk.waitUntilDecided(submitted.id);
  });
  afterAll(async () => {
    await t?.stop();
    await library?.close();
  });

  it('issues with every item listed, the one not permitted noted, and the remedy for each', async () => {
    library.failNext(2); // the first pushes fail: the outbox retries
    const issued = await t.walk.issuePermit(app.id);
    v1 = await permitById(issued.id);
    expect(v1).toMatchObject({ version: 1, status: 'VALID', reissueDue: false });
    expect(v1.items.map((i) => [i.itemCode, i.permitted])).toEqual([
      ['MR-FOOD-BUSINESS', true],
      ['FR-FIRE-CHECK', true],
      ['WA-DRAINAGE', false],
    ]);
    expect(v1.items[2].notPermittedReasons).toEqual(['预处理设施未建成']);
    for (const item of v1.items) expect(item.remedy).toEqual({ reconsiderationZh: '顺义区人民政府', courtZh: '北京市顺义区人民法院' });
    expect(parseElectronicLicenceIdentifier(v1.licenceIdentifier)).toMatchObject({ serial: v1.code, version: 1 });
    await eventually('ISSUED pushed to the library', async () => (applied(v1.licenceIdentifier).length ? true : undefined));
    expect(applied(v1.licenceIdentifier)).toEqual(['ISSUED']);
  });

  it('refuses re-issue by the wrong role, and without a reason', async () => {
    expectRefusal(await as(t.walk.clerk(), 'mutation ($id: ID!) { reissuePermit(permitId: $id, reason: "x") { id } }', { id: v1.id }), 'FORBIDDEN');
    expectRefusal(await as(holder(), 'mutation ($id: ID!) { reissuePermit(permitId: $id, reason: "x") { id } }', { id: v1.id }), 'FORBIDDEN');
    expectRefusal(await as(issuer(), 'mutation ($id: ID!) { reissuePermit(permitId: $id, reason: " ") { id } }', { id: v1.id }), 'BAD_USER_INPUT', 'reason');
    expect((await permitById(v1.id)).status).toBe('VALID');
  });

  it('takes the denied item again, and re-issues once it is permitted: a new version, the old superseded', async () => {
    const RESUBMIT = 'mutation ($a: ID!, $i: String!, $v: JSON!) { resubmitItem(applicationId: $a, itemCode: $i, values: $v) { items { itemCode status round } } }';
    expectRefusal(await as(t.walk.applicant(stranger.creditCode), RESUBMIT, { a: app.id, i: 'WA-DRAINAGE', v: {} }), 'FORBIDDEN');
    expectRefusal(await as(holder(), RESUBMIT, { a: app.id, i: 'MR-FOOD-BUSINESS', v: {} }), 'WRONG_STATE', 'itemCode');
    const bad = await as(holder(), RESUBMIT, { a: app.id, i: 'WA-DRAINAGE', v: { dailyDischargeVolume: -3, colour: 'blue' } });
    expect(problemsOf(bad).map((p) => [p.path, p.code]).sort()).toEqual([
      ['values.colour', 'UNKNOWN_FIELD'],
      ['values.dailyDischargeVolume', 'OUT_OF_RANGE'],
    ]);
    const resubmitted = await as<{ resubmitItem: { items: { itemCode: string; status: string; round: number }[] } }>(holder(), RESUBMIT, {
      a: app.id,
      i: 'WA-DRAINAGE',
      v: { pretreatmentFacilities: ['GREASE_TRAP'] },
    });
    expect(resubmitted.data!.resubmitItem.items[2]).toEqual({ itemCode: 'WA-DRAINAGE', status: 'DISPATCHED', round: 2 });
    expectRefusal(await as(holder(), RESUBMIT, { a: app.id, i: 'WA-DRAINAGE', v: {} }), 'WRONG_STATE');

    const drainage = app.items[2];
    await t.walk.waitForReview('water', drainage.reviewId);
    const decision = await t.walk.decide('water', drainage.reviewId, { approve: true });
    expect(decision.licence).toMatchObject({ status: 'VALID' });
    await eventually('re-issue due', async () => ((await permitById(v1.id)).reissueDue ? true : undefined));
    const awaiting = await as<{ permitsAwaitingReissue: { id: string }[] }>(issuer(), '{ permitsAwaitingReissue { id } }');
    expect(awaiting.data!.permitsAwaitingReissue.map((p) => p.id)).toEqual([v1.id]);

    const reissued = await as<{ reissuePermit: Permit }>(issuer(), `mutation ($id: ID!) { reissuePermit(permitId: $id, reason: "排水许可已准予") { ${PERMIT} } }`, { id: v1.id });
    v2 = reissued.data!.reissuePermit;
    expect(v2).toMatchObject({ version: 2, status: 'VALID' });
    expect(v2.code).not.toBe(v1.code);
    expect(v2.items.map((i) => i.permitted)).toEqual([true, true, true]);
    expect(v2.items[2].licence).toMatchObject({ id: decision.licence!.id, status: 'VALID' });
    const old = await permitById(v1.id);
    expect(old).toMatchObject({ status: 'SUPERSEDED', supersededBy: { id: v2.id, code: v2.code }, currentVersion: { code: v2.code, version: 2 } });

    // The old code says so, and points to the current one.
    const scanned = await scan(v1.code);
    expect(scanned.status).toBe('SUPERSEDED');
    expect(scanned.currentVersion.code).toBe(v2.code);
    const page = await (await request(v1.scanUrl)).body.text();
    expect(page).toContain('data-state="SUPERSEDED"');
    expect(page).toContain(v2.code);
    const verified = await as<{ verifyPermit: { result: string; authentic: boolean; current: { code: string } } }>(
      null,
      'query ($q: String!) { verifyPermit(qrContent: $q) { result authentic current { code } } }',
      { q: v1.scanUrl },
    );
    expect(verified.data!.verifyPermit).toEqual({ result: 'SUPERSEDED', authentic: true, current: { code: v2.code } });
    expectRefusal(await as(issuer(), 'mutation ($id: ID!) { reissuePermit(permitId: $id, reason: "again") { id } }', { id: v1.id }), 'WRONG_STATE', 'permitId');
    await eventually('library has both versions', async () => (applied(v1.licenceIdentifier).length === 2 && applied(v2.licenceIdentifier).length === 1 ? true : undefined));
    expect(applied(v1.licenceIdentifier)).toEqual(['ISSUED', 'SUPERSEDED']);
    expect(applied(v2.licenceIdentifier)).toEqual(['REISSUED']);
  });

  it('changes what the face does not show in the department, with no re-issue: the next scan shows it', async () => {
    const food = v2.items[0].licence!;
    const CHANGE = `mutation ($id: ID!, $c: LicenceChangeInput!, $r: String!) { marketRegulation { changeLicence(licenceId: $id, change: $c, reason: $r) { id validUntil ... on FoodBusinessLicence { businessItems } } } }`;
    const fireReviewer = t.walk.reviewer('fire-rescue');
    const mr = t.walk.reviewer('market-regulation');
    expectRefusal(await as(fireReviewer, CHANGE, { id: food.id, c: { validUntil: '2035-01-01' }, r: '延续' }), 'FORBIDDEN');
    expect(problemsOf(await as(mr, CHANGE, { id: food.id, c: { validUntil: '2020-01-01' }, r: '延续' }))).toEqual([
      expect.objectContaining({ path: 'change.validUntil', code: 'INVALID_DATE' }),
    ]);
    expect(problemsOf(await as(mr, CHANGE, { id: food.id, c: { details: { colour: 'red' } }, r: '变更' }))).toEqual([
      expect.objectContaining({ path: 'change.details.colour', code: 'UNKNOWN_FIELD' }),
    ]);
    expectRefusal(await as(mr, CHANGE, { id: food.id, c: {}, r: '无' }), 'BAD_USER_INPUT', 'change');

    const changed = await as<{ marketRegulation: { changeLicence: { validUntil: string; businessItems: string[] } } }>(mr, CHANGE, {
      id: food.id,
      c: { validUntil: '2036-06-30', details: { businessItems: ['PREPACKAGED'] } },
      r: '延续有效期并调整经营项目',
    });
    expect(changed.data!.marketRegulation.changeLicence).toEqual({ id: food.id, validUntil: '2036-06-30', businessItems: ['PREPACKAGED'] });
    const scanned = await scan(v2.code);
    expect(scanned.items[0].licence!.validUntil).toBe('2036-06-30');
    expect(scanned).toMatchObject({ version: 2, status: 'VALID', currentVersion: { version: 2 } });
    const history = await as<{ marketRegulation: { licenceHistory: { action: string; byRole: string; reason: string | null }[] } }>(
      holder(),
      'query ($id: ID!) { marketRegulation { licenceHistory(licenceId: $id) { action byRole reason } } }',
      { id: food.id },
    );
    expect(history.data!.marketRegulation.licenceHistory).toEqual([
      { action: 'ISSUED', byRole: 'REVIEWER', reason: null },
      { action: 'CHANGED', byRole: 'REVIEWER', reason: '延续有效期并调整经营项目' },
    ]);
    expectRefusal(
      await as(t.walk.applicant(stranger.creditCode), 'query ($id: ID!) { marketRegulation { licenceHistory(licenceId: $id) { action } } }', { id: food.id }),
      'FORBIDDEN',
    );
  });

  it('changes the face with one application: the licences change with it and the permit is re-issued', async () => {
    const FACE = 'mutation ($input: FaceChangeInput!) { submitFaceChange(input: $input) { id departments changes } }';
    const input = { applicationId: app.id, companyName: '北京顺义新名称餐饮有限公司', businessAddress: '北京市顺义区新顺南大街8号', reason: '企业名称及住所变更' };
    expectRefusal(await as(t.walk.reviewer('water'), FACE, { input }), 'FORBIDDEN');
    expectRefusal(await as(t.walk.applicant(stranger.creditCode), FACE, { input }), 'FORBIDDEN');
    expectRefusal(await as(holder(), FACE, { input: { applicationId: app.id, reason: '无' } }), 'BAD_USER_INPUT', 'input');
    expect(problemsOf(await as(holder(), FACE, { input: { applicationId: app.id, legalRepresentative: '张', reason: '变更' } }))).toEqual([
      expect.objectContaining({ path: 'input.legalRepresentative', code: 'TOO_SHORT' }),
    ]);
    // The payload returns what changed: the change, and the application with its permit (across subgraphs).
    const WITH_PERMIT = 'mutation ($input: FaceChangeInput!) { submitFaceChange(input: $input) { id departments changes application { id permit { code version } } } }';
    const change = await as<{ submitFaceChange: { departments: string[]; application: { id: string; permit: { code: string; version: number } | null } } }>(holder(), WITH_PERMIT, { input });
    expect(change.errors).toBeUndefined();
    expect(change.data!.submitFaceChange.departments.sort()).toEqual(['fire-rescue', 'market-regulation', 'water']);
    expect(change.data!.submitFaceChange.application.id).toBe(app.id);
    expect(change.data!.submitFaceChange.application.permit!.version).toBeGreaterThanOrEqual(2);

    v3 = await eventually('face change re-issued', async () => {
      const r = await as<{ permitForApplication: Permit }>(issuer(), `query ($a: ID!) { permitForApplication(applicationId: $a) { ${PERMIT} } }`, { a: app.id });
      return r.data!.permitForApplication.version === 3 ? r.data!.permitForApplication : undefined;
    });
    expect(v3).toMatchObject({ status: 'VALID', holderName: input.companyName, businessAddress: input.businessAddress });
    expect((await permitById(v2.id)).status).toBe('SUPERSEDED');
    // Each department's licence carries the new name too.
    await eventually('licences renamed', async () => ((await scan(v3.code)).items.every((i) => i.licence!.holderName === input.companyName) ? true : undefined));
    const history = await as<{ water: { licenceHistory: { action: string }[] } }>(issuer(), 'query ($id: ID!) { water { licenceHistory(licenceId: $id) { action } } }', {
      id: v3.items[2].licence!.id,
    });
    expect(history.data!.water.licenceHistory.map((h) => h.action)).toEqual(['ISSUED', 'FACE_CHANGED']);
  });

  it('voids the permit when a licence reaches its end date, with nobody acting; the bureau records the recall', async () => {
    const RECALL = 'mutation ($id: ID!, $n: String!) { recordPermitRecall(permitId: $id, note: $n) { recalledAt status } }';
    expectRefusal(await as(issuer(), RECALL, { id: v3.id, n: '收回' }), 'WRONG_STATE', 'permitId');
    library.setDown(true); // the library is down when the permit is voided
    // Time passes: the fire inspection licence's end date is yesterday.
    const fireDb = await serviceDatabase(t.platform, 'fire-rescue');
    const yesterday = beijingDate(new Date(Date.now() - 86400e3));
    await fireDb.db!.collection('licences').updateOne({ _id: v3.items[1].licence!.id as never }, { $set: { validUntil: yesterday } });
    await fireDb.close();
    const voided = await eventually('permit void by lapse', async () => {
      const s = await scan(v3.code);
      return s.status === 'VOID' ? s : undefined;
    }, 30000);
    expect(voided.voidReason).toContain('失效');
    expect(voided.items[1].licence!.status).toBe('LAPSED');
    const fireHistory = await as<{ fireRescue: { licenceHistory: { action: string; byRole: string }[] } }>(
      issuer(),
      'query ($id: ID!) { fireRescue { licenceHistory(licenceId: $id) { action byRole } } }',
      { id: v3.items[1].licence!.id },
    );
    expect(fireHistory.data!.fireRescue.licenceHistory.at(-1)).toEqual({ action: 'ENDED', byRole: 'SYSTEM' });

    expectRefusal(await as(t.walk.clerk(), RECALL, { id: v3.id, n: '收回' }), 'FORBIDDEN');
    expectRefusal(await as(issuer(), RECALL, { id: v3.id, n: ' ' }), 'BAD_USER_INPUT', 'note');
    const recalled = await as<{ recordPermitRecall: { recalledAt: string; status: string } }>(issuer(), RECALL, { id: v3.id, n: '已收回纸质凭证' });
    expect(recalled.data!.recordPermitRecall.status).toBe('VOID');
    expect(recalled.data!.recordPermitRecall.recalledAt).toBeTruthy();
    expectRefusal(await as(issuer(), RECALL, { id: v3.id, n: '再次' }), 'WRONG_STATE');

    // The library was down: nothing lost, delivered once it is back.
    expect(applied(v3.licenceIdentifier)).toEqual(['REISSUED']);
    library.setDown(false);
    await eventually('VOIDED pushed after the outage', async () => (applied(v3.licenceIdentifier).length === 2 ? true : undefined), 30000);
    expect(applied(v3.licenceIdentifier)).toEqual(['REISSUED', 'VOIDED']);
    expect(applied(v2.licenceIdentifier)).toEqual(['REISSUED', 'SUPERSEDED']);
  });

  it('keeps an append-only history, readable by the holder, the bureau and the deciding departments only', async () => {
    const HISTORY = 'query ($id: ID!) { permitHistory(permitId: $id) { action version byRole byDepartment by reason } }';
    const read = await as<{ permitHistory: { action: string; version: number; byRole: string; byDepartment: string | null; by: string; reason: string | null }[] }>(holder(), HISTORY, { id: v3.id });
    const entries = read.data!.permitHistory;
    expect(entries.map((e) => `${e.action}:${e.version}`)).toEqual(['ISSUED:1', 'REISSUED:2', 'SUPERSEDED:1', 'REISSUED:3', 'SUPERSEDED:2', 'VOIDED:3', 'RECALLED:3']);
    expect(entries.find((e) => e.action === 'VOIDED')).toMatchObject({ byRole: 'REVIEWER', byDepartment: 'fire-rescue' });
    expect(entries.find((e) => e.action === 'RECALLED')).toMatchObject({ byRole: 'ISSUER', by: 'issuer-bureau-01', reason: '已收回纸质凭证' });
    expect(entries.find((e) => e.version === 3 && e.action === 'REISSUED')).toMatchObject({ byRole: 'APPLICANT', reason: expect.stringContaining('企业名称及住所变更') });
    for (const reader of [issuer(), t.walk.reviewer('water')]) expect((await as(reader, HISTORY, { id: v3.id })).errors).toBeUndefined();
    expectRefusal(await as(t.walk.reviewer('sport'), HISTORY, { id: v3.id }), 'FORBIDDEN');
    expectRefusal(await as(t.walk.applicant(stranger.creditCode), HISTORY, { id: v3.id }), 'FORBIDDEN');
    expectRefusal(await as(null, HISTORY, { id: v3.id }), 'UNAUTHENTICATED');
  });

  it('verifies QR codes online and offline: authentic, tampered, unknown, typed in', async () => {
    const VERIFY = 'query ($q: String!) { verifyPermit(qrContent: $q) { result signatureChecked authentic registered messageZh permit { status overallState holderName } } }';
    type V = { verifyPermit: { result: string; signatureChecked: boolean; authentic: boolean | null; registered: boolean; messageZh: string; permit: { status: string; overallState: string; holderName: string } | null } };
    const authentic = await as<V>(null, VERIFY, { q: v3.scanUrl });
    // Authentic, and void: the signature proves the issue, overallState says what holds now.
    expect(authentic.data!.verifyPermit).toMatchObject({ result: 'AUTHENTIC', signatureChecked: true, authentic: true, registered: true, permit: { status: 'VOID', overallState: 'VOID' } });
    const signature = new URL(v3.scanUrl).searchParams.get('s')!;
    const tamperedUrl = v3.scanUrl.replace(signature, signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11));
    const tampered = await as<V>(null, VERIFY, { q: tamperedUrl });
    expect(tampered.data!.verifyPermit).toMatchObject({ result: 'BAD_SIGNATURE', authentic: false, permit: null });
    expect(tampered.data!.verifyPermit.messageZh).toContain('篡改');
    const forgedPage = await request(tamperedUrl);
    const forgedHtml = await forgedPage.body.text();
    expect(forgedPage.statusCode).toBe(409);
    expect(forgedHtml).toContain('data-result="BAD_SIGNATURE"');
    expect(forgedHtml).not.toContain(v3.holderName);
    expect((await as<V>(null, VERIFY, { q: v3.scanUrl.replace(v3.code, 'ZZZZZZZZZZZZ') })).data!.verifyPermit.result).toBe('UNKNOWN_CODE');
    expect((await as<V>(null, VERIFY, { q: 'hello world' })).data!.verifyPermit.result).toBe('MALFORMED');
    expect((await as<V>(null, VERIFY, { q: v3.code.toLowerCase() })).data!.verifyPermit).toMatchObject({ result: 'REGISTERED', signatureChecked: false, authentic: null, registered: true });

    // An inspector's app: the published keys, then no network.
    const keys = (await (await request(`${t.documentsUrl}/.well-known/permit-keys.json`)).body.json()) as { keys: { kid: string; d?: string }[] };
    expect(keys.keys.length).toBeGreaterThan(0);
    expect(keys.keys.every((k) => k.d === undefined)).toBe(true);
    expect(await verifyQr(parseQrContent(v3.scanUrl)!.fields!, keys as never)).toBe('AUTHENTIC');
    expect(await verifyQr(parseQrContent(tamperedUrl)!.fields!, keys as never)).toBe('BAD_SIGNATURE');
  });

  it("prints the certificate as HTML and PDF for the holder and the bureau; the PDF's QR decodes to the scan URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certificate-'));
    try {
      const pdf = await request(`${t.documentsUrl}/permits/${v3.code}/certificate.pdf`, {
        headers: { authorization: `Bearer ${await t.token(holder())}` },
      });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers['content-type']).toContain('application/pdf');
      const pdfPath = join(dir, 'permit.pdf');
      const bytes = Buffer.from(await pdf.body.arrayBuffer());
      writeFileSync(pdfPath, bytes);
      // 电子印章: the bureau's signature is in the PDF; poppler reads it, and the verify operation says it is the bureau's and unaltered.
      expect(execFileSync('pdfsig', [pdfPath], { encoding: 'utf8' })).toMatch(/Signature Validation: Signature is Valid/);
      const verify = async (body: Buffer) => {
        const r = await request(`${t.documentsUrl}/certificates/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body });
        return { status: r.statusCode, body: (await r.body.json()) as { authentic: boolean; signedByBureau: boolean; unaltered: boolean; code?: string } };
      };
      expect((await verify(bytes)).body).toMatchObject({ authentic: true, signedByBureau: true, unaltered: true });
      const oneByte = Buffer.from(bytes);
      oneByte[200] ^= 0x01; // inside the signed bytes, near the start
      expect((await verify(oneByte)).body).toMatchObject({ authentic: false, unaltered: false });
      expect(await verify(Buffer.from('not a pdf'))).toMatchObject({ status: 400, body: { code: 'BAD_USER_INPUT' } });
      const page = await rasterisePdf(pdfPath, join(dir, 'permit.png'));
      expect(decodeQr(page)).toBe(v3.scanUrl);
      expect(page.text).toContain(v3.holderName);
      expect(page.text).toContain('已作废');
      // The licence whose ending voided it is printed as ended, never as permitted.
      type Now = { permit: { items: { departmentCode: string; licence: { status: string | null } | null }[] } };
      const now = await as<Now>(issuer(), 'query ($id: ID!) { permit(id: $id) { items { departmentCode licence { status } } } }', { id: v3.id });
      const ended = now.data!.permit.items.find((i) => i.licence && i.licence.status !== 'VALID')!;
      expect(ended).toBeDefined();
      expect(page.text.replace(/\s+/g, '')).toContain(`许可证已`);

      const html = await request(`${t.documentsUrl}/permits/${v3.code}/certificate.html`, {
        headers: { authorization: `Bearer ${await t.token(issuer())}` },
      });
      const text = await html.body.text();
      expect(html.statusCode).toBe(200);
      expect(text).toContain(v3.licenceIdentifier);
      expect(text).toContain('张三丰'); // the holder's own document: not masked

      // Addressed by code, like the QR images; a lower-cased code is the same permit.
      const lower = await request(`${t.documentsUrl}/permits/${v3.code.toLowerCase()}/certificate.html`, { headers: { authorization: `Bearer ${await t.token(issuer())}` } });
      expect(lower.statusCode).toBe(200);
      await lower.body.text();
      // A department reads the permit, it does not print it.
      const reviewer = await request(`${t.documentsUrl}/permits/${v3.code}/certificate.pdf`, { headers: { authorization: `Bearer ${await t.token(t.walk.reviewer(ended.departmentCode))}` } });
      expect(reviewer.statusCode).toBe(403);
      await reviewer.body.text();

      const anonymous = await request(`${t.documentsUrl}/permits/${v3.code}/certificate.pdf`);
      expect(anonymous.statusCode).toBe(401);
      await anonymous.body.text();
      const other = await request(`${t.documentsUrl}/permits/${v3.code}/certificate.pdf`, {
        headers: { authorization: `Bearer ${await t.token(t.walk.applicant(stranger.creditCode))}` },
      });
      expect(other.statusCode).toBe(404);
      await other.body.text();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
