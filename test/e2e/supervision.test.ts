import { department, departments } from '../../shared/registry';
import { checklistOf } from '../../subgraphs/supervision/checklist';
import { request } from 'undici';
import { newEvent, signEvent, type PlatformEvent } from '../../shared/events';
import { eventually, graphql, graphqlData } from '../support/client';
import { devToken } from '../support/launcher';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { sampleBusiness } from '../support/sample-values';
import { beijingToday } from '../../shared/beijing-calendar';

/**
 * 一单 through the gateway: the supervision subgraph merges the check points
 * each department owns into one checklist per industry (from the catalogue's
 * items, @requires) and per business (from the items its permit says it holds).
 */
describe('supervision: the one checklist', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const POINT = 'code itemCode departmentCode departmentNameZh textZh textEn legalBasisZh legalBasisEn failureZh onFailure correctionDays illustrative';
  interface Point {
    code: string;
    itemCode: string;
    departmentCode: string;
    onFailure: string;
    correctionDays: number | null;
  }

  it("merges every department's points for an industry's items, in the catalogue's order", async () => {
    const data = await graphqlData<{ industry: { items: { item: { code: string; departmentCode: string } }[]; checklist: Point[] } }>(
      t.graphqlUrl,
      `{ industry(code: "restaurant") { items { item { code departmentCode } } checklist { ${POINT} } } }`,
    );
    const itemCodes = data.industry.items.map((i) => i.item.code);
    const expected = checklistOf(itemCodes).map((p) => p.code);
    expect(expected.length).toBeGreaterThan(itemCodes.length);
    expect(data.industry.checklist.map((p) => p.code)).toEqual(expected);
    // Points from more than one department, each the department of its item.
    const departmentOf = new Map(data.industry.items.map((i) => [i.item.code, i.item.departmentCode]));
    expect(new Set(data.industry.checklist.map((p) => p.departmentCode)).size).toBeGreaterThan(1);
    for (const point of data.industry.checklist) expect(point.departmentCode).toBe(departmentOf.get(point.itemCode));
    // A correction has its deadline; enforcement has none.
    for (const point of data.industry.checklist) expect(point.correctionDays === null).toBe(point.onFailure === 'ENFORCEMENT');
  });

  it('checks a business only for the items it holds a licence for', async () => {
    const items = [
      { itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' },
      { itemCode: 'CO-ALCOHOL-RETAIL', department: 'commerce' },
    ];
    await t.walk.publishIndustry('supervision-food-alcohol', items);
    // The alcohol licence is refused: the permit notes it, and nobody checks it.
    const permit = await t.walk.issuedPermit('supervision-food-alcohol', {}, sampleBusiness(9101), ['CO-ALCOHOL-RETAIL']);
    const data = await graphqlData<{ scanPermit: { items: { itemCode: string; permitted: boolean }[]; checklist: Point[] } }>(
      t.graphqlUrl,
      `query ($c: ID!) { scanPermit(code: $c) { items { itemCode permitted } checklist { ${POINT} } } }`,
      { c: permit.code },
    );
    expect(data.scanPermit.items.map((i) => [i.itemCode, i.permitted])).toEqual([
      ['MR-FOOD-BUSINESS', true],
      ['CO-ALCOHOL-RETAIL', false],
    ]);
    expect(data.scanPermit.checklist.map((p) => p.code)).toEqual(checklistOf(['MR-FOOD-BUSINESS']).map((p) => p.code));
    expect(data.scanPermit.checklist.some((p) => p.itemCode === 'CO-ALCOHOL-RETAIL')).toBe(false);
    // The refused item has points of its own: leaving them out is the rule, not an empty list.
    expect(checklistOf(['CO-ALCOHOL-RETAIL']).length).toBeGreaterThan(0);

    // Supervision learns of the holder from the permit service's event (the population a random draw chooses from) …
    const admin = await t.token(t.walk.admin());
    const register = (status?: string) =>
      graphqlData<{ supervisedPermits: { permitId: string; code: string; companyName: string; permittedItemCodes: string[]; status: string }[] }>(
        t.graphqlUrl,
        `query ($i: ID!, $s: SupervisedPermitStatus) { supervisedPermits(industryCode: $i, status: $s) { permitId code companyName creditCode permittedItemCodes status } }`,
        { i: 'supervision-food-alcohol', s: status ?? null },
        admin,
      );
    const listed = await eventually('the permit in the register', async () => (await register('VALID')).supervisedPermits.find((p) => p.code === permit.code));
    expect(listed).toMatchObject({ permitId: permit.id, companyName: sampleBusiness(9101).companyName, permittedItemCodes: ['MR-FOOD-BUSINESS'], status: 'VALID' });
    // Nobody but the permit service can take it out: a department's genuine key is refused for this event, and claiming to be the permit service fails the signature.
    const forgedVoid = (source: string) =>
      newEvent('PermitVoided', source, 'supervision', { permitId: permit.id, applicationId: permit.id.split(':')[0], industryCode: 'supervision-food-alcohol', licenceId: 'forged', departmentCode: 'market-regulation', ending: 'REVOKED', at: new Date().toISOString() });
    const deliver = async (event: PlatformEvent, signer: string) => {
      const r = await request(`${t.platform.serviceUrls.supervision}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: await signEvent(event, t.secrets.eventKeys[signer]) }) });
      await r.body.dump();
      return r.statusCode;
    };
    expect(await deliver(forgedVoid('market-regulation'), 'market-regulation')).toBe(422);
    expect(await deliver(forgedVoid('permit'), 'market-regulation')).toBe(401);
    expect((await register('VALID')).supervisedPermits.some((p) => p.code === permit.code)).toBe(true);
    // … and stops drawing it once a licence on it has ended (the permit is void).
    const application = await t.walk.application(permit.id.split(':')[0]);
    const food = application!.items.find((i) => i.itemCode === 'MR-FOOD-BUSINESS')!;
    await t.walk.endLicence('market-regulation', food.licenceId!, 'REVOKED', '监督检查发现严重违法行为');
    await eventually('the permit void in the register', async () => ((await register('VOID')).supervisedPermits.some((p) => p.code === permit.code) ? true : undefined));
    expect((await register('VALID')).supervisedPermits.some((p) => p.code === permit.code)).toBe(false);
  });

  it("lists one department's points, and every department's", async () => {
    const one = await graphqlData<{ checkPoints: Point[] }>(t.graphqlUrl, `{ checkPoints(departmentCode: "commerce") { ${POINT} } }`);
    const commerceItems = new Set(department('commerce')!.items.map((i) => i.code));
    expect(one.checkPoints.length).toBe(department('commerce')!.checkPoints.length);
    for (const point of one.checkPoints) expect(commerceItems.has(point.itemCode)).toBe(true);
    const all = await graphqlData<{ checkPoints: Point[] }>(t.graphqlUrl, `{ checkPoints { code } }`);
    expect(all.checkPoints.length).toBe(departments().reduce((sum, d) => sum + d.checkPoints.length, 0));
  });

  // The industry is the one the test above published.
  it('prints the compliance manual (一业一册): conditions, every check point with its consequence, the admins’ notes', async () => {
    const industry = 'supervision-food-alcohol';
    const before = await fetch(`${t.documentsUrl}/manuals/${industry}`);
    expect(before.status).toBe(200);
    expect(await before.text()).toContain('管理员尚未发布本行业的监管内容');
    await graphqlData(
      t.graphqlUrl,
      'mutation ($input: SupervisionNotesInput!) { publishSupervisionNotes(input: $input) { revision } }',
      { input: { industryCode: industry, sections: [{ titleZh: '双随机抽查', titleEn: 'Random inspections', bodyZh: '每年抽查比例不低于 5%。', bodyEn: 'At least 5% are drawn each year.' }], basedOnRevision: 0, note: '首次发布' } },
      await t.token(t.walk.admin()),
    );
    const zh = await (await fetch(`${t.documentsUrl}/manuals/${industry}`)).text();
    const points = checklistOf(['MR-FOOD-BUSINESS', 'CO-ALCOHOL-RETAIL']);
    for (const point of points) {
      expect(zh).toContain(point.code);
      expect(zh).toContain(point.failureZh);
    }
    const enforcement = points.filter((p) => p.onFailure === 'ENFORCEMENT').length;
    expect(zh.split('依法终止许可证').length - 1).toBe(enforcement);
    expect(zh.split('责令限期改正（').length - 1).toBe(points.length - enforcement);
    for (const condition of department('commerce')!.items.find((i) => i.code === 'CO-ALCOHOL-RETAIL')!.conditions) expect(zh).toContain(condition.zh);
    expect(zh).toContain('双随机抽查');
    expect(zh).toContain('每年抽查比例不低于 5%。');
    const en = await (await fetch(`${t.documentsUrl}/manuals/${industry}?lang=en`)).text();
    expect(en).toContain('Compliance manual for the industry');
    expect(en).toContain('Random inspections');
    expect(en).toContain(points[0].textEn);
    expect((await fetch(`${t.documentsUrl}/manuals/no-such-industry`)).status).toBe(404);
  });

  it('draws a joint-inspection plan from the real permit holders, published without the inspectors’ names', async () => {
    const industry = 'supervision-food-alcohol';
    // A second business with both licences; the first one's permit is void by now and is not drawn.
    const permit = await t.walk.issuedPermit(industry, {}, sampleBusiness(9102));
    const admin = await t.token(t.walk.admin());
    await eventually('the permit in the register', async () => {
      const r = await graphqlData<{ supervisedPermits: { code: string }[] }>(t.graphqlUrl, 'query ($i: ID!) { supervisedPermits(industryCode: $i, status: VALID) { code } }', { i: industry }, admin);
      return r.supervisedPermits.some((p) => p.code === permit.code) ? true : undefined;
    });
    for (const [departmentCode, prefix] of [['market-regulation', 'MR'], ['commerce', 'CO']]) {
      await graphqlData(t.graphqlUrl, 'mutation ($input: InspectorRosterInput!) { setInspectorRoster(input: $input) { revision } }', {
        input: { departmentCode, inspectors: [1, 2, 3].map((n) => ({ id: `${prefix}-E2E-${n}`, name: `检查员${prefix}${n}` })), basedOnRevision: 0 },
      }, admin);
    }
    const PLAN_FIELDS = 'id seed population { permitId } businesses { code companyName departmentCodes } departments { departmentCode inspectorCount inspectors { id name } } reproduced';
    const drawn = await graphqlData<{ drawInspectionPlan: { population: unknown[]; businesses: { code: string; departmentCodes: string[] }[]; departments: { departmentCode: string; inspectors: { id: string }[] | null }[]; reproduced: boolean } }>(
      t.graphqlUrl,
      `mutation ($input: InspectionPlanInput!) { drawInspectionPlan(input: $input) { ${PLAN_FIELDS} } }`,
      { input: { industryCode: industry, period: '2026-12', sampleSize: 5, inspectorsPerDepartment: 1, seed: 'e2e-seed-2026-12' } },
      admin,
    );
    const plan = drawn.drawInspectionPlan;
    expect(plan.population).toHaveLength(1);
    expect(plan.businesses.map((b) => b.code)).toEqual([permit.code]);
    expect(plan.businesses[0].departmentCodes.sort()).toEqual(['commerce', 'market-regulation']);
    expect(plan.departments.map((d) => [d.departmentCode, d.inspectors!.length])).toEqual([['market-regulation', 1], ['commerce', 1]]);
    expect(plan.reproduced).toBe(true);
    // 一公开: anyone reads the plan; the inspectors' names are for admins and inspectors.
    const published = await graphqlData<{ inspectionPlan: { businesses: { code: string }[]; departments: { inspectorCount: number; inspectors: unknown }[] } }>(t.graphqlUrl, `query { inspectionPlan(industryCode: "${industry}", period: "2026-12") { ${PLAN_FIELDS} } }`);
    expect(published.inspectionPlan.businesses.map((b) => b.code)).toEqual([permit.code]);
    expect(published.inspectionPlan.departments.every((d) => d.inspectors === null && d.inspectorCount === 1)).toBe(true);
    const inspector = await t.token(t.walk.inspector('commerce'));
    const seen = await graphqlData<{ inspectionPlan: { departments: { inspectors: { id: string }[] }[] } }>(t.graphqlUrl, `query { inspectionPlan(industryCode: "${industry}", period: "2026-12") { departments { inspectors { id } } } }`, {}, inspector);
    expect(seen.inspectionPlan.departments.map((d) => d.inspectors.length)).toEqual([1, 1]);
    // An inspector is always of a department: a token without one is refused at the gateway.
    const unbound = await graphql(t.graphqlUrl, '{ checkPoints { code } }', {}, await devToken(t.secrets.jwt, { role: 'INSPECTOR', subject: 'inspector-nowhere' }, '5m'));
    expect(unbound.status).toBe(401);
  });

  it('walks a joint inspection: the drawn inspectors scan and record (one department down), a failure becomes a correction order, the department ends the licence, the scan shows VOID', async () => {
    const industry = 'supervision-food-alcohol';
    const planId = `${industry}:2026-12`;
    const admin = await t.token(t.walk.admin());
    const { inspectionPlan: plan } = await graphqlData<{ inspectionPlan: { businesses: { permitId: string; code: string }[]; departments: { departmentCode: string; inspectors: { id: string }[] }[] } }>(
      t.graphqlUrl,
      `query { inspectionPlan(industryCode: "${industry}", period: "2026-12") { businesses { permitId code } departments { departmentCode inspectors { id } } } }`,
      {},
      admin,
    );
    const [business] = plan.businesses;
    const drawnFor = (department: string) => t.token({ role: 'INSPECTOR', subject: plan.departments.find((d) => d.departmentCode === department)!.inspectors[0].id, department });
    const mr = await drawnFor('market-regulation');
    const co = await drawnFor('commerce');
    const FIELDS = 'closed result points { point { code departmentCode onFailure correctionDays } result } followUps { departmentCode pointCode kind dueDate }';
    // The inspector scans the QR code: the inspections of this business in the plans that drew them, with its checklist.
    const scannedIn = await graphqlData<{ inspectionsForPermit: { id: string; planId: string; points: { point: { code: string; departmentCode: string; onFailure: string } }[] }[] }>(
      t.graphqlUrl,
      `query ($c: ID!) { inspectionsForPermit(permitCode: $c) { id planId ${FIELDS} } }`,
      { c: business.code.toLowerCase() },
      mr,
    );
    expect(scannedIn.inspectionsForPermit.map((i) => i.planId)).toEqual([planId]);
    const opened = { inspection: scannedIn.inspectionsForPermit[0] };
    expect(opened.inspection.points.map((p) => p.point.code)).toEqual(checklistOf(['MR-FOOD-BUSINESS', 'CO-ALCOHOL-RETAIL']).map((p) => p.code));
    // An inspector of a department the plan did not draw gets nothing on scanning.
    const notDrawn = await graphqlData<{ inspectionsForPermit: unknown[] }>(t.graphqlUrl, `query ($c: ID!) { inspectionsForPermit(permitCode: $c) { id } }`, { c: business.code }, await t.token(t.walk.inspector('fire-rescue')));
    expect(notDrawn.inspectionsForPermit).toEqual([]);
    const photo = { name: 'health-certificates.jpg', mediaType: 'image/jpeg', contentBase64: Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from('JFIF evidence photo')]).toString('base64') };
    const record = (token: string, pointCode: string, result: string, note?: string) =>
      graphqlData(t.graphqlUrl, 'mutation ($input: InspectionPointInput!) { recordInspectionPoint(input: $input) { closed } }', { input: { planId, permitCode: business.code, pointCode, result, note, evidence: result === 'FAIL' ? [photo] : [] } }, token);
    const points = opened.inspection.points.map((p) => p.point);
    const failing = points.find((p) => p.departmentCode === 'market-regulation' && p.onFailure === 'CORRECTION')!;
    // Commerce's subgraph is down: market regulation's points are still recorded (supervision asks no department).
    await t.platform.stopService('commerce');
    try {
      for (const p of points.filter((x) => x.departmentCode === 'market-regulation')) await record(mr, p.code, p.code === failing.code ? 'FAIL' : 'PASS', p.code === failing.code ? '从业人员健康证明过期' : undefined);
    } finally {
      await t.platform.startService('commerce');
    }
    for (const p of points.filter((x) => x.departmentCode === 'commerce')) await record(co, p.code, 'PASS');
    // Both departments' inspectors close at the same moment: one closing, the other told it is closed.
    const CLOSE = `mutation ($p: ID!, $c: ID!) { closeInspection(planId: $p, permitCode: $c) { ${FIELDS} } }`;
    const closings = await Promise.all([mr, co].map((token) => graphql<{ closeInspection: { closed: boolean; result: string; followUps: { departmentCode: string; pointCode: string; kind: string; dueDate: string }[] } }>(t.graphqlUrl, CLOSE, { p: planId, c: business.code }, token)));
    expect(closings.map((c) => c.errors?.[0]?.extensions?.code ?? 'CLOSED').sort()).toEqual(['CLOSED', 'WRONG_STATE']);
    const closed = closings.find((c) => !c.errors)!.data!;
    expect(closed.closeInspection).toMatchObject({ closed: true, result: 'FAILED' });
    expect(closed.closeInspection.followUps).toEqual([{ departmentCode: 'market-regulation', pointCode: failing.code, kind: 'CORRECTION', dueDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }]);
    // The department sees its correction order; the business does not correct, and the department ends the licence with its own endLicence.
    const reviewer = await t.token(t.walk.reviewer('market-regulation'));
    const { followUps } = await graphqlData<{ followUps: { permitCode: string; pointCode: string }[] }>(t.graphqlUrl, '{ followUps(departmentCode: "market-regulation") { permitCode pointCode } }', {}, reviewer);
    expect(followUps).toContainEqual({ permitCode: business.code, pointCode: failing.code });
    const application = await t.walk.application(business.permitId.split(':')[0]);
    const licenceId = application!.items.find((i) => i.itemCode === 'MR-FOOD-BUSINESS')!.licenceId!;
    await t.walk.endLicence('market-regulation', licenceId, 'REVOKED', '逾期未改正，依法吊销');
    const scanned = await eventually('the permit void', async () => {
      const scan = await t.walk.scan(business.code);
      return scan?.overallState === 'VOID' ? scan : undefined;
    });
    expect(scanned.overallState).toBe('VOID');
    // 一公开: the scan shows the last joint inspection's day and result, and nothing of its notes.
    expect(scanned.lastInspection).toEqual({ closedOn: beijingToday(), result: 'FAILED' });
    const page = await request(`${t.documentsUrl}/scan/${business.code}`);
    const html = await page.body.text();
    expect(html).toContain(`data-result="FAILED" data-closed-on="${beijingToday()}"`);
    expect(html).not.toContain('从业人员健康证明过期');
    // Anyone may report from the scan page's form; the department concerned reads it. A report without enough words is refused, nothing stored.
    const post = (fields: Record<string, string>) => request(`${t.documentsUrl}/scan/${business.code}/complaints`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const short = await post({ itemCode: '', text: '差' });
    expect(short.statusCode).toBe(400);
    expect(await short.body.text()).toContain('data-path="input.text"');
    const sent = await post({ itemCode: 'MR-FOOD-BUSINESS', text: '吊销后仍在营业，后厨卫生很差', contact: '' });
    expect(sent.statusCode).toBe(201);
    expect(await sent.body.text()).toContain('id="complaint-receipt"');
    const { complaints } = await graphqlData<{ complaints: { permitCode: string; text: string; itemCode: string }[] }>(t.graphqlUrl, '{ complaints(departmentCode: "market-regulation") { permitCode text itemCode } }', {}, reviewer);
    expect(complaints.filter((c) => c.permitCode === business.code)).toEqual([{ permitCode: business.code, text: '吊销后仍在营业，后厨卫生很差', itemCode: 'MR-FOOD-BUSINESS' }]);
  });
});
