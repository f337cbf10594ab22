import { request } from 'undici';
import type { Identity } from '../../shared/identity';
import { graphql } from '../support/client';
import { startFakeCityLibrary, type FakeCityLibrary } from '../support/fake-city-library';
import { startFakePopulationRegistry, type FakePopulationRegistry } from '../support/fake-population-registry';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal, problemsOf } from '../support/refusals';
import { sampleBusiness, sampleValues } from '../support/sample-values';

/**
 * 政府部门已有，无需提交, on real processes: the business licence is fetched
 * from the e-licence library and the legal representative's identity checked
 * against the population registry (both fakes as real HTTP servers) when the
 * window accepts; the applicant hands in neither, the guide says so, and the
 * file records what was fetched and from where. A source without the record
 * refuses the acceptance for that material; a source that does not answer
 * refuses it as unavailable; nothing is written either way.
 */
describe('materials the government already holds', () => {
  let t: TestPlatform;
  let library: FakeCityLibrary;
  let registry: FakePopulationRegistry;
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const ANSWERS = { installsSignboard: false };
  let serial = 0;
  type MaterialView = { code: string; status: string; heldBy: { code: string; connected: boolean } | null; file: { sha256: string | null; reference: string | null; mediaType: string | null } | null };
  const materials = async (id: string) =>
    (await as<{ application: { status: string; materials: MaterialView[] } }>(t.walk.clerk(), 'query ($id: ID!) { application(id: $id) { status materials { code status heldBy { code connected } file { sha256 reference mediaType } } } }', { id })).data!.application;
  const byCode = (list: MaterialView[], code: string) => list.find((m) => m.code === code)!;
  const accept = (id: string) => as<{ acceptApplication: { status: string } }>(t.walk.clerk(), 'mutation ($id: ID!) { acceptApplication(id: $id) { status } }', { id });

  /** A travel agency's application, submitted at the window, with the materials nobody holds attached. */
  const submitted = async (options: { licenceHeld: boolean; personKnown: boolean }) => {
    // Every sample business has the same ID number: someone the registry does not know has another name under it.
    const business = { ...sampleBusiness(++serial), ...(options.personKnown ? {} : { legalRepresentative: '李四光' }) };
    if (options.licenceHeld) library.holdBusinessLicence(business.creditCode, business.companyName);
    if (options.personKnown) registry.register(business.legalRepresentative, business.legalRepresentativeIdNumber);
    const form = await t.walk.form('travel-agency', ANSWERS);
    const app = await t.walk.submit(t.walk.clerk(), 'travel-agency', ANSWERS, sampleValues(form.sections.flatMap((s) => s.fields), business));
    await t.walk.attachMissingMaterials(app.id);
    return { id: app.id, business };
  };

  beforeAll(async () => {
    library = await startFakeCityLibrary();
    registry = await startFakePopulationRegistry();
    t = await startTestPlatform({
      HELD_SOURCES: JSON.stringify({ elicence: { url: library.url, token: library.token }, population: { url: registry.url, token: registry.token } }),
    });
    serial = 300000 + Math.floor(Math.random() * 90000);
  });
  afterAll(async () => {
    await t?.stop();
    await library?.close();
    await registry?.close();
  });

  it('the guide asks for neither, and says who holds them', async () => {
    const guide = await as<{ guide: { materials: { code: string; heldBy: { code: string; nameZh: string; connected: boolean } | null }[] } }>(
      null,
      'query ($a: JSON) { guide(industryCode: "travel-agency", answers: $a) { materials { code heldBy { code nameZh connected } } } }',
      { a: ANSWERS },
    );
    const list = guide.data!.guide.materials;
    expect(list.find((m) => m.code === 'business-licence')!.heldBy).toEqual({ code: 'elicence', nameZh: '北京市电子证照库', connected: true });
    expect(list.find((m) => m.code === 'legal-rep-id')!.heldBy).toEqual(expect.objectContaining({ code: 'population', connected: true }));
    expect(list.filter((m) => m.heldBy === null).length).toBeGreaterThan(0);
    const page = await request(`${t.documentsUrl}/guides/travel-agency?answers=${encodeURIComponent(JSON.stringify(ANSWERS))}`);
    const html = await page.body.text();
    expect(page.statusCode).toBe(200);
    expect(html).toContain('无需提交（政府部门已有：北京市电子证照库）');
    expect(html).toContain('无需提交（政府部门已有：公安人口信息库）');
  });

  it('fetches them at acceptance and records what came from where', async () => {
    const { id, business } = await submitted({ licenceHeld: true, personKnown: true });
    const before = await materials(id);
    expect(byCode(before.materials, 'business-licence').status).toBe('TO_FETCH');
    expect(byCode(before.materials, 'legal-rep-id').status).toBe('TO_FETCH');
    expect(library.lookups).not.toContain(business.creditCode); // nothing is fetched before the window accepts
    expect((await accept(id)).data!.acceptApplication.status).toBe('ACCEPTED');
    const after = await materials(id);
    const licence = byCode(after.materials, 'business-licence');
    expect(licence).toEqual(expect.objectContaining({ status: 'FETCHED', heldBy: { code: 'elicence', connected: true } }));
    expect(licence.file).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), reference: expect.stringMatching(new RegExp(`^elicence:1\\.2\\.156\\..*${business.creditCode}`)), mediaType: 'application/json' });
    expect(byCode(after.materials, 'legal-rep-id').file!.reference).toMatch(/^population:RK-/);
    expect(library.lookups).toContain(business.creditCode);
    expect(registry.checks).toContainEqual({ name: business.legalRepresentative, idNumber: business.legalRepresentativeIdNumber, match: true });
  });

  it('refuses the acceptance for a material its source does not hold, and the applicant hands it in instead', async () => {
    const { id, business } = await submitted({ licenceHeld: false, personKnown: true });
    const refused = await accept(id);
    expectRefusal(refused, 'BAD_USER_INPUT');
    expect(problemsOf(refused)).toEqual([expect.objectContaining({ path: 'materials.business-licence', code: 'NOT_HELD', messageZh: expect.stringContaining('北京市电子证照库') })]);
    expect((await materials(id)).status).toBe('SUBMITTED');
    // The applicant provides it, as before the reform: then it is accepted, the legal representative still checked at the source.
    const upload = { applicationId: id, materialCode: 'business-licence', file: { name: 'licence.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4\n%business licence\n%%EOF\n').toString('base64') } };
    await as(t.walk.applicant(business.creditCode), 'mutation ($input: AttachMaterialInput!) { attachMaterial(input: $input) { status } }', { input: upload });
    expect((await accept(id)).data!.acceptApplication.status).toBe('ACCEPTED');
    const after = await materials(id);
    expect(byCode(after.materials, 'business-licence').status).toBe('PROVIDED');
    expect(byCode(after.materials, 'legal-rep-id').status).toBe('FETCHED');
  });

  it('refuses a legal representative the registry does not know under that ID number', async () => {
    const { id } = await submitted({ licenceHeld: true, personKnown: false });
    const refused = await accept(id);
    expect(problemsOf(refused)).toEqual([expect.objectContaining({ path: 'materials.legal-rep-id', code: 'NOT_HELD' })]);
    expect(registry.checks).toContainEqual(expect.objectContaining({ name: '李四光', match: false }));
    expect((await materials(id)).status).toBe('SUBMITTED');
  });

  it('refuses the acceptance as unavailable while a source does not answer, writes nothing, and accepts once it is back', async () => {
    const { id } = await submitted({ licenceHeld: true, personKnown: true });
    library.setDown(true);
    try {
      const refused = await accept(id);
      expectRefusal(refused, 'UNAVAILABLE');
      const stood = await materials(id);
      expect(stood.status).toBe('SUBMITTED');
      expect(byCode(stood.materials, 'business-licence').status).toBe('TO_FETCH');
    } finally {
      library.setDown(false);
    }
    expect((await accept(id)).data!.acceptApplication.status).toBe('ACCEPTED');
  });
});
