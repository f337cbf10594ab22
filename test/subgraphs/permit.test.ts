import { department } from '../../shared/registry';
import { permitSubgraph } from '../../subgraphs/permit/subgraph';
import { inProcessSubgraph, type InProcessSubgraph } from '../support/in-process';
import { sampleBusiness } from '../support/sample-values';

/** The permit subgraph alone, in this process: issue from a decided application, then `_entities` with the licence states the gateway would hand over (@requires). */
describe('permit subgraph, in process', () => {
  let s: InProcessSubgraph;
  const business = sampleBusiness(515151);
  const holder = { role: 'APPLICANT' as const, subject: 'holder', creditCode: business.creditCode };
  const issuer = { role: 'ISSUER' as const, subject: 'issuer-1' };
  const PUBLIC = { role: 'PUBLIC' as const, subject: 'anonymous' };
  const applicationId = 'inproc-app-1';
  const item = (code: string, dept: string, licenceType: string, licenceId: string | null, permitted: boolean) => {
    const d = department(dept)!;
    return {
      itemCode: code,
      itemNameZh: code,
      itemNameEn: code,
      departmentCode: dept,
      departmentNameZh: d.nameZh,
      departmentNameEn: d.nameEn,
      licenceType,
      licenceId,
      permitted,
      reasons: permitted ? [] : ['现场核查未通过'],
      remedy: d.remedy,
    };
  };
  let permit: { id: string; code: string; qrContent: string; status: string };

  beforeAll(async () => {
    s = await inProcessSubgraph('permit', permitSubgraph);
    await s.deliver('ApplicationDecided', 'applications', {
      applicationId,
      applicationNumber: 'SY-TEST-1',
      industryCode: 'restaurant',
      industryNameZh: '餐饮',
      industryNameEn: 'Restaurant',
      holder: { companyName: business.companyName, creditCode: business.creditCode, legalRepresentative: business.legalRepresentative, businessAddress: business.businessAddress },
      items: [
        item('MR-FOOD-BUSINESS', 'market-regulation', 'FoodBusinessLicence', 'lic-food-1', true),
        item('FR-FIRE-CHECK', 'fire-rescue', 'PublicVenueFireSafetyPermit', 'lic-fire-1', true),
      ],
    });
    const issued = await s.run<{ issuePermit: typeof permit }>(issuer, 'mutation ($a: ID!) { issuePermit(applicationId: $a) { id code qrContent status } }', { a: applicationId });
    expect(issued.errors).toBeUndefined();
    permit = issued.data!.issuePermit;
  });
  afterAll(async () => {
    await s?.stop();
  });

  const overall = async (statuses: string[]) => {
    const r = await s.run<{ _entities: ({ overallState: string } | null)[] }>(
      PUBLIC,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Permit { overallState } } }',
      {
        r: [
          {
            __typename: 'Permit',
            id: permit.id,
            items: [
              { licence: { __typename: 'FoodBusinessLicence', status: statuses[0] } },
              { licence: { __typename: 'PublicVenueFireSafetyPermit', status: statuses[1] } },
            ],
          },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
    return r.data!._entities[0]!.overallState;
  };

  it('derives the overall state from the live licence states it is handed', async () => {
    expect(permit.status).toBe('VALID');
    expect(await overall(['VALID', 'VALID'])).toBe('VALID');
    expect(await overall(['VALID', 'REVOKED'])).toBe('VOID');
    // A department that did not answer: the state is not claimed either way.
    expect(await overall(['VALID', null as unknown as string])).toBe('PARTLY_UNAVAILABLE');
  });

  it('verifies a signed QR as checked and authentic, a bare code as looked up only', async () => {
    const q = 'query ($q: String!) { verifyPermit(qrContent: $q) { result signatureChecked authentic registered } }';
    const signed = await s.run<{ verifyPermit: Record<string, unknown> }>(PUBLIC, q, { q: permit.qrContent });
    expect(signed.data!.verifyPermit).toEqual({ result: 'AUTHENTIC', signatureChecked: true, authentic: true, registered: true });
    const bare = await s.run<{ verifyPermit: Record<string, unknown> }>(PUBLIC, q, { q: permit.code.toLowerCase() });
    expect(bare.data!.verifyPermit).toEqual({ result: 'REGISTERED', signatureChecked: false, authentic: null, registered: true });
    const forged = await s.run<{ verifyPermit: Record<string, unknown> }>(PUBLIC, q, { q: permit.qrContent.replace(/([?&]s=)[^&]{4}/, '$1AAAA') });
    expect(forged.data!.verifyPermit).toMatchObject({ signatureChecked: true, authentic: false });
  });

  it("adds the permit to an Application reference for its holder and the bureau only", async () => {
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Application { permit { code } } } }';
    const r = [{ __typename: 'Application', id: applicationId }];
    const own = await s.run<{ _entities: { permit: { code: string } | null }[] }>(holder, query, { r });
    expect(own.data!._entities[0].permit).toEqual({ code: permit.code });
    const bureau = await s.run<{ _entities: { permit: { code: string } | null }[] }>(issuer, query, { r });
    expect(bureau.data!._entities[0].permit).toEqual({ code: permit.code });
    const anyone = await s.run<{ _entities: { permit: unknown }[] }>(PUBLIC, query, { r });
    expect(anyone.data!._entities[0].permit).toBeNull();
  });

  it('refuses a second issue for the same application', async () => {
    const again = await s.run(issuer, 'mutation ($a: ID!) { issuePermit(applicationId: $a) { id } }', { a: applicationId });
    expect(again.errors?.[0]?.extensions?.code).toMatch(/WRONG_STATE|CONFLICT/);
  });
});
