import type { Identity } from '../../shared/identity';
import { eventually, graphql } from '../support/client';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { sampleBusiness, sampleValues } from '../support/sample-values';

/**
 * The catalogue as a district would recognise it (issue 14, part 6), on real
 * processes: the tobacco monopoly administration and the housing commission
 * are departments with their own subgraphs; a convenience store holds
 * Shanghai's five licences, one of them decided by the tobacco department;
 * a care home's building works pass the housing commission's fire acceptance
 * before the fire brigade's pre-opening check is even sent; answers selecting
 * one item are told it is no 一业一证 case.
 */
describe('a catalogue a district would recognise', () => {
  let t: TestPlatform;
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const FIVE = { sellsTobacco: true, sellsAlcohol: true, sellsMedicalDevices: true, sellsPublications: true, areaOver300: false };
  let serial = 0;

  beforeAll(async () => {
    t = await startTestPlatform();
    await t.walk.loadUnknownHolidaySchedules();
    serial = 600000 + Math.floor(Math.random() * 90000);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the new departments with their items', async () => {
    const listed = await as<{ departments: { code: string; nameZh: string; itemCodes: string[] }[] }>(null, '{ departments { code nameZh itemCodes } }');
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.departments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'tobacco', nameZh: '北京市顺义区烟草专卖局', itemCodes: ['TB-TOBACCO-RETAIL'] }),
        expect.objectContaining({ code: 'housing', itemCodes: ['HO-FIRE-ACCEPTANCE'] }),
      ]),
    );
  });

  it("guides a convenience store to Shanghai's five licences, and tells a one-item case it is no bundle", async () => {
    type G = { guide: { bundle: boolean; items: { code: string; departmentNameZh: string }[] } };
    const query = 'query ($a: JSON) { guide(industryCode: "convenience-store", answers: $a) { bundle items { code departmentNameZh } } }';
    const five = await as<G>(null, query, { a: FIVE });
    expect(five.errors).toBeUndefined();
    expect(five.data!.guide.bundle).toBe(true);
    expect(five.data!.guide.items.map((i) => i.code)).toEqual(['MR-FOOD-BUSINESS', 'TB-TOBACCO-RETAIL', 'CO-ALCOHOL-RETAIL', 'MR-MEDICAL-DEVICE-II', 'CT-PUBLICATION-RETAIL']);
    expect(five.data!.guide.items.find((i) => i.code === 'TB-TOBACCO-RETAIL')!.departmentNameZh).toBe('北京市顺义区烟草专卖局');

    const foodOnly = { sellsTobacco: false, sellsAlcohol: false, sellsMedicalDevices: false, sellsPublications: false, areaOver300: false };
    const one = await as<G>(null, query, { a: foodOnly });
    expect(one.data!.guide).toEqual(expect.objectContaining({ bundle: false, items: [expect.objectContaining({ code: 'MR-FOOD-BUSINESS' })] }));
    const page = await (await fetch(`${t.documentsUrl}/guides/convenience-store?answers=${encodeURIComponent(JSON.stringify(foodOnly))}`)).text();
    expect(page).toContain('只涉及一项审批事项');
    const bundledPage = await (await fetch(`${t.documentsUrl}/guides/convenience-store?answers=${encodeURIComponent(JSON.stringify(FIVE))}`)).text();
    expect(bundledPage).toContain('烟草专卖零售许可');
    expect(bundledPage).not.toContain('只涉及一项审批事项');
  });

  it('issues the store one permit over five licences, the tobacco one decided by its own department; its revocation voids the permit', async () => {
    const permit = await t.walk.issuedPermit('convenience-store', FIVE, sampleBusiness(++serial));
    const scanned = (await t.walk.scan(permit.code))!;
    expect(scanned.status).toBe('VALID');
    expect(scanned.items.map((i) => i.departmentCode).sort()).toEqual(['commerce', 'culture-tourism', 'market-regulation', 'market-regulation', 'tobacco']);
    const tobacco = scanned.items.find((i) => i.itemCode === 'TB-TOBACCO-RETAIL')!;
    expect(tobacco).toEqual(expect.objectContaining({ permitted: true, departmentNameZh: '北京市顺义区烟草专卖局' }));
    expect(tobacco.licence).toEqual(expect.objectContaining({ status: 'VALID', validUntil: expect.any(String) }));
    // Another department cannot end the tobacco department's licence.
    const forged = await as(t.walk.reviewer('commerce'), 'mutation ($id: ID!) { tobacco { endLicence(licenceId: $id, ending: REVOKED, reason: "x") { id } } }', { id: tobacco.licence!.id });
    expect(forged.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    await t.walk.endLicence('tobacco', tobacco.licence!.id, 'REVOKED', '向未成年人出售烟草制品');
    const voided = await eventually('the permit voided by the tobacco licence ending', async () => {
      const now = (await t.walk.scan(permit.code))!;
      return now.status === 'VOID' ? now : undefined;
    });
    expect(voided.items.find((i) => i.itemCode === 'TB-TOBACCO-RETAIL')!.licence!.status).toBe('REVOKED');
  });

  it("sends a care home's pre-opening fire check only once the housing commission has accepted its building works", async () => {
    const answers = { nonProfit: false, providesMeals: false, hasInHouseClinic: false, buildingWorks: true };
    const form = await t.walk.form('care-home', answers);
    expect(form.itemCodes).toEqual(expect.arrayContaining(['HO-FIRE-ACCEPTANCE', 'EE-EIA-REGISTRATION', 'FR-FIRE-CHECK']));
    const submitted = await t.walk.submit(t.walk.clerk(), 'care-home', answers, sampleValues(form.sections.flatMap((s) => s.fields), sampleBusiness(++serial)));
    await t.walk.attachMissingMaterials(submitted.id);
    await t.walk.accept(submitted.id);
    const status = async (code: string) => (await t.walk.application(submitted.id))!.items.find((i) => i.itemCode === code)!;
    expect((await status('FR-FIRE-CHECK')).status).toBe('WAITING');
    const acceptance = await status('HO-FIRE-ACCEPTANCE');
    expect(acceptance.status).toBe('DISPATCHED');
    await t.walk.waitForReview('housing', acceptance.reviewId);
    await t.walk.decide('housing', acceptance.reviewId, { approve: true });
    await eventually('the fire check sent on', async () => ((await status('FR-FIRE-CHECK')).status === 'DISPATCHED' ? true : undefined));
    await t.walk.decideAll(submitted.id);
    expect((await t.walk.waitUntilDecided(submitted.id)).items.every((i) => i.status === 'APPROVED')).toBe(true);
  });
});
