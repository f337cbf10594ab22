import { sampleValues } from '../support/sample-values';
import { serviceDatabase } from '../support/db';
import { caller, freshBusiness, issuedPermit, ONE_ITEM, publishTestIndustries, readyApplication } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal } from '../support/refusals';

/**
 * Retries that cannot duplicate: a mutation that creates something, called
 * again with the same idempotency key and input (a client that timed out while
 * its write landed), returns the first result and writes nothing more; the
 * same key with other input is refused.
 */
describe('retries with an idempotency key', () => {
  let t: TestPlatform;
  let as: ReturnType<typeof caller>;

  beforeAll(async () => {
    t = await startTestPlatform();
    as = caller(t.graphqlUrl, t.token);
    await publishTestIndustries(t.walk);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('submits one application however often, and at once, the same submission is retried', async () => {
    const business = freshBusiness();
    const form = await t.walk.form(ONE_ITEM.code, {});
    const input = { industryCode: ONE_ITEM.code, answers: {}, values: sampleValues(form.sections.flatMap((s) => s.fields), business) };
    const SUBMIT = 'mutation ($input: SubmitApplicationInput!, $key: String) { submitApplication(input: $input, idempotencyKey: $key) { id number } }';
    const applicant = t.walk.applicant(business.creditCode);
    const results = await Promise.all(Array.from({ length: 5 }, () => as<{ submitApplication: { id: string; number: string } }>(applicant, SUBMIT, { input, key: 'submit-1' })));
    expect(results.every((r) => !r.errors)).toBe(true);
    expect(new Set(results.map((r) => r.data!.submitApplication.id)).size).toBe(1);
    const again = await as<{ submitApplication: { id: string; number: string } }>(applicant, SUBMIT, { input, key: 'submit-1' });
    expect(again.data!.submitApplication).toEqual(results[0].data!.submitApplication);
    const listed = await as<{ applications: { id: string }[] }>(applicant, '{ applications { id } }');
    expect(listed.data!.applications).toHaveLength(1);
    // The same key with another input: refused, nothing written.
    const other = await as(applicant, SUBMIT, { input: { ...input, values: { ...input.values, contactPhone: '13900000000' } }, key: 'submit-1' });
    expectRefusal(other, 'IDEMPOTENCY_KEY_REUSED', 'idempotencyKey');
    expect((await as<{ applications: { id: string }[] }>(applicant, '{ applications { id } }')).data!.applications).toHaveLength(1);
    // Another caller's key of the same name is theirs alone.
    const clerk = await as<{ submitApplication: { id: string } }>(t.walk.clerk(), SUBMIT, { input, key: 'submit-1' });
    expect(clerk.data!.submitApplication.id).not.toBe(results[0].data!.submitApplication.id);
  });

  it('attaches a material once, and records one face change and one licence change, however often retried', async () => {
    const { id } = await readyApplication(t.walk, ONE_ITEM.code);
    const materials = await as<{ application: { materials: { code: string }[] } }>(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { materials { code } } }', { id });
    const code = materials.data!.application.materials[0].code;
    const ATTACH = 'mutation ($input: AttachMaterialInput!, $key: String) { attachMaterial(input: $input, idempotencyKey: $key) { status } }';
    const input = { applicationId: id, materialCode: code, file: { name: 'plan.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 retry').toString('base64') } };
    const db = await serviceDatabase(t.platform, 'applications');
    try {
      const attached = () => db.db!.collection('application_steps').countDocuments({ applicationId: id, kind: 'MATERIAL_ATTACHED', 'material.materialCode': code });
      const before = await attached();
      for (let i = 0; i < 3; i++) expect((await as(t.walk.clerk(), ATTACH, { input, key: 'attach-1' })).errors).toBeUndefined();
      expect(await attached()).toBe(before + 1);
    } finally {
      await db.close();
    }

    const { applicationId, licences, business } = await issuedPermit(t.walk, ONE_ITEM.code);
    const FACE = 'mutation ($input: FaceChangeInput!, $key: String) { submitFaceChange(input: $input, idempotencyKey: $key) { id departments } }';
    const face = { applicationId, businessAddress: '北京市顺义区府前街9号', reason: '迁址' };
    const owner = t.walk.applicant(business.creditCode);
    const first = await as<{ submitFaceChange: { id: string; departments: string[] } }>(owner, FACE, { input: face, key: 'face-1' });
    const second = await as<{ submitFaceChange: { id: string; departments: string[] } }>(owner, FACE, { input: face, key: 'face-1' });
    expect(second.data).toEqual(first.data);
    expect(first.data!.submitFaceChange.departments).toEqual(['market-regulation']);

    const CHANGE = 'mutation ($id: ID!, $key: String) { marketRegulation { changeLicence(licenceId: $id, change: { validUntil: "2099-12-31" }, reason: "延续有效期", idempotencyKey: $key) { validUntil } } }';
    for (let i = 0; i < 3; i++) expect((await as(t.walk.reviewer('market-regulation'), CHANGE, { id: licences[0].licenceId, key: 'change-1' })).errors).toBeUndefined();
    const history = await as<{ marketRegulation: { licenceHistory: { action: string }[] } }>(t.walk.issuer(), 'query ($id: ID!) { marketRegulation { licenceHistory(licenceId: $id) { action } } }', { id: licences[0].licenceId });
    expect(history.data!.marketRegulation.licenceHistory.filter((h) => h.action === 'CHANGED')).toHaveLength(1);
  });
});
