import type { Identity } from '../../shared/identity';
import { supervisionSubgraph } from '../../subgraphs/supervision/subgraph';
import { checklistOf } from '../../subgraphs/supervision/checklist';
import { weightedDraw } from '../../subgraphs/supervision/draw';
import { createHash } from 'node:crypto';
import { inProcessSubgraph, type InProcessSubgraph } from '../support/in-process';
import { samplePdf } from '../support/walkthrough';
import { beijingToday } from '../../shared/beijing-calendar';

/** The supervision subgraph alone: `_entities` with the fields the gateway hands over (@requires), as the planner would send them. */
describe('supervision subgraph, in process', () => {
  let s: InProcessSubgraph;
  const PUBLIC = { role: 'PUBLIC' as const, subject: 'anonymous' };
  beforeAll(async () => {
    s = await inProcessSubgraph('supervision', supervisionSubgraph);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const entities = async (representation: Record<string, unknown>, selection: string) => {
    const r = await s.run<{ _entities: { checklist: { code: string; itemCode: string }[] }[] }>(PUBLIC, `query ($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: [representation] });
    expect(r.errors).toBeUndefined();
    return r.data!._entities[0].checklist.map((p) => p.code);
  };

  it("a permit's checklist: the points of the items it permits, none of those it does not", async () => {
    const codes = await entities(
      {
        __typename: 'Permit',
        id: 'permit-1',
        items: [
          { itemCode: 'FR-FIRE-CHECK', permitted: true },
          { itemCode: 'CO-ALCOHOL-RETAIL', permitted: false },
          { itemCode: 'MR-FOOD-BUSINESS', permitted: true },
        ],
      },
      '... on Permit { checklist { code itemCode } }',
    );
    expect(codes).toEqual(checklistOf(['FR-FIRE-CHECK', 'MR-FOOD-BUSINESS']).map((p) => p.code));
    expect(codes.some((c) => c.startsWith('CO-ALCOHOL-RETAIL-'))).toBe(false);
  });

  it("an industry's checklist: every item's points, in the catalogue's order", async () => {
    const codes = await entities(
      { __typename: 'Industry', code: 'bar', items: [{ item: { code: 'CO-ALCOHOL-RETAIL' } }, { item: { code: 'MR-FOOD-BUSINESS' } }] },
      '... on Industry { checklist { code itemCode } }',
    );
    expect(codes).toEqual(checklistOf(['CO-ALCOHOL-RETAIL', 'MR-FOOD-BUSINESS']).map((p) => p.code));
    expect(codes.length).toBeGreaterThanOrEqual(4);
  });

  describe('supervision notes (一业一册)', () => {
    const ADMIN = { role: 'ADMIN' as const, subject: 'admin-01' };
    const PUBLISH = 'mutation ($input: SupervisionNotesInput!) { publishSupervisionNotes(input: $input) { industryCode revision note sections { titleZh bodyEn } publishedAt } }';
    const section = { titleZh: '日常巡查', titleEn: 'Routine patrols', bodyZh: '每季度至少一次。', bodyEn: 'At least once a quarter.' };
    const publish = (input: Record<string, unknown>, by: Identity = ADMIN) => s.run<{ publishSupervisionNotes: { revision: number; sections: unknown[] } }>(by, PUBLISH, { input });
    const latest = async (code: string) => {
      const r = await s.run<{ _entities: { supervisionNotes: { revision: number; sections: { titleZh: string }[] } | null }[] }>(
        PUBLIC,
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Industry { supervisionNotes { revision sections { titleZh } } } } }',
        { r: [{ __typename: 'Industry', code, items: [] }] },
      );
      return r.data!._entities[0].supervisionNotes;
    };

    it('publishes revision after revision, each based on the latest; an edit of an older one changes nothing', async () => {
      expect(await latest('notes-a')).toBeNull();
      const first = await publish({ industryCode: 'notes-a', sections: [section], basedOnRevision: 0, note: '首次发布' });
      expect(first.errors).toBeUndefined();
      expect(first.data!.publishSupervisionNotes).toMatchObject({ industryCode: 'notes-a', revision: 1, note: '首次发布', sections: [{ titleZh: '日常巡查', bodyEn: 'At least once a quarter.' }] });
      // A second admin still editing revision 0: refused, with where to look.
      const stale = await publish({ industryCode: 'notes-a', sections: [{ ...section, titleZh: '另一版本' }], basedOnRevision: 0, note: '并发修改' });
      expect(stale.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.basedOnRevision' });
      expect(await latest('notes-a')).toEqual({ revision: 1, sections: [{ titleZh: '日常巡查' }] });
      const second = await publish({ industryCode: 'notes-a', sections: [section, { ...section, titleZh: '信用监管' }], basedOnRevision: 1, note: '增加一节' });
      expect(second.data!.publishSupervisionNotes.revision).toBe(2);
      expect((await latest('notes-a'))!.sections.map((x) => x.titleZh)).toEqual(['日常巡查', '信用监管']);
      // No sections clears what the manual prints; the revision stays on record.
      expect((await publish({ industryCode: 'notes-a', sections: [], basedOnRevision: 2, note: '清空' })).data!.publishSupervisionNotes.revision).toBe(3);
      expect(await latest('notes-a')).toBeNull();
    });

    it('two admins publishing on the same revision at once: exactly one wins', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => publish({ industryCode: 'notes-race', sections: [{ ...section, titleZh: `版本${i}` }], basedOnRevision: 0, note: `第${i}位` })),
      );
      const won = results.filter((r) => !r.errors);
      expect(won).toHaveLength(1);
      for (const lost of results.filter((r) => r.errors)) expect(lost.errors![0].extensions?.code).toBe('CONFLICT');
      expect((await latest('notes-race'))!.revision).toBe(1);
    });

    it('refuses bad input with every problem and its field path, writing nothing', async () => {
      const r = await publish({
        industryCode: 'Not A Code',
        sections: [
          { ...section, titleZh: '  ' },
          { ...section, bodyZh: '长'.repeat(4001) },
        ],
        basedOnRevision: -1,
        note: '',
      });
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      const paths = (r.errors![0].extensions!.problems as { path: string }[]).map((p) => p.path);
      expect(paths).toEqual(['input.industryCode', 'input.basedOnRevision', 'input.sections.0.titleZh', 'input.sections.1.bodyZh', 'input.note']);
      const tooMany = await publish({ industryCode: 'notes-b', sections: Array.from({ length: 21 }, () => section), basedOnRevision: 0, note: '太多' });
      expect(tooMany.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sections' });
      expect(await latest('notes-b')).toBeNull();
      expect(await s.db.db!.collection('supervision_notes').countDocuments({ _id: { $in: ['notes-b#1', 'Not A Code#1'] } } as never)).toBe(0);
    });

    it('lets only admins publish', async () => {
      for (const who of [PUBLIC, { role: 'CLERK' as const, subject: 'clerk-1' }, { role: 'REVIEWER' as const, subject: 'r-1', department: 'fire-rescue' }]) {
        const r = await publish({ industryCode: 'notes-c', sections: [section], basedOnRevision: 0, note: '越权' }, who);
        expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(r.errors?.[0].extensions?.code);
      }
      expect(await latest('notes-c')).toBeNull();
    });
  });

  describe('the register of permit holders', () => {
    const ADMIN = { role: 'ADMIN' as const, subject: 'admin-01' };
    const listing = (permitId: string, extra: Record<string, unknown> = {}) => ({
      permitId,
      applicationId: permitId.split(':')[0],
      code: `C${permitId.replace(/\W/g, '').toUpperCase()}`,
      version: Number(permitId.split(':v')[1]),
      industryCode: 'register-test',
      holder: { companyName: `公司 ${permitId}`, creditCode: '91110113MA00000000' },
      items: [
        { itemCode: 'MR-FOOD-BUSINESS', departmentCode: 'market-regulation', permitted: true, licenceId: 'l-1' },
        { itemCode: 'CO-ALCOHOL-RETAIL', departmentCode: 'commerce', permitted: false, licenceId: null },
      ],
      issuedAt: '2026-12-01T02:00:00.000Z',
      ...extra,
    });
    const statuses = async () => {
      const r = await s.run<{ supervisedPermits: { permitId: string; status: string; permittedItemCodes: string[] }[] }>(ADMIN, '{ supervisedPermits(industryCode: "register-test") { permitId status permittedItemCodes } }');
      expect(r.errors).toBeUndefined();
      return Object.fromEntries(r.data!.supervisedPermits.map((p) => [p.permitId, p.status]));
    };

    it('keeps each version as issued; a later version supersedes it, a voiding ends it; redelivery changes nothing', async () => {
      await s.deliver('PermitListed', 'permit', listing('app-1:v1'), 'PermitListed:app-1:v1');
      await s.deliver('PermitListed', 'permit', listing('app-2:v1'), 'PermitListed:app-2:v1');
      await s.deliver('PermitListed', 'permit', listing('app-3:v1'), 'PermitListed:app-3:v1');
      expect(await statuses()).toEqual({ 'app-1:v1': 'VALID', 'app-2:v1': 'VALID', 'app-3:v1': 'VALID' });
      await s.deliver('PermitListed', 'permit', listing('app-1:v2', { supersedes: 'app-1:v1' }), 'PermitListed:app-1:v2');
      await s.deliver('PermitVoided', 'permit', { permitId: 'app-2:v1', applicationId: 'app-2', industryCode: 'register-test', licenceId: 'l-1', departmentCode: 'market-regulation', ending: 'REVOKED', at: '2026-12-02T02:00:00.000Z' }, 'PermitVoided:app-2:v1');
      const expected = { 'app-1:v1': 'SUPERSEDED', 'app-1:v2': 'VALID', 'app-2:v1': 'VOID', 'app-3:v1': 'VALID' };
      expect(await statuses()).toEqual(expected);
      await s.deliver('PermitListed', 'permit', listing('app-1:v1'), 'PermitListed:app-1:v1');
      await s.deliver('PermitVoided', 'permit', { permitId: 'app-2:v1', applicationId: 'app-2', industryCode: 'register-test', licenceId: 'l-1', departmentCode: 'market-regulation', ending: 'REVOKED', at: '2026-12-02T03:00:00.000Z' }, 'PermitVoided:app-2:v1');
      expect(await statuses()).toEqual(expected);
      const valid = await s.run<{ supervisedPermits: { permitId: string; permittedItemCodes: string[] }[] }>(ADMIN, '{ supervisedPermits(industryCode: "register-test", status: VALID) { permitId permittedItemCodes } }');
      expect(valid.data!.supervisedPermits).toEqual([
        { permitId: 'app-1:v2', permittedItemCodes: ['MR-FOOD-BUSINESS'] },
        { permitId: 'app-3:v1', permittedItemCodes: ['MR-FOOD-BUSINESS'] },
      ]);
    });

    it('takes these events only from the permit service', async () => {
      await expect(s.deliver('PermitListed', 'applications', listing('app-9:v1'))).rejects.toThrow(/may not send PermitListed/);
      await expect(s.deliver('PermitVoided', 'market-regulation', { permitId: 'app-3:v1', applicationId: 'app-3', industryCode: 'register-test', licenceId: 'l-1', departmentCode: 'market-regulation', ending: 'REVOKED', at: '2026-12-02T02:00:00.000Z' })).rejects.toThrow(/may not send PermitVoided/);
      expect((await statuses())['app-3:v1']).toBe('VALID');
    });
  });

  describe('joint-inspection plans (一查, 双随机)', () => {
    const ADMIN = { role: 'ADMIN' as const, subject: 'admin-01' };
    const INDUSTRY = 'plan-test';
    const PLAN = 'mutation ($input: InspectionPlanInput!) { drawInspectionPlan(input: $input) { id seed sampleSize population { permitId weight } businesses { permitId code departmentCodes } departments { departmentCode rosterRevision inspectorCount inspectors { id name } } reproduced } }';
    const ROSTER = 'mutation ($input: InspectorRosterInput!) { setInspectorRoster(input: $input) { departmentCode revision inspectors { id name } } }';
    interface Plan {
      id: string;
      population: { permitId: string; weight: number }[];
      businesses: { permitId: string; code: string; departmentCodes: string[] }[];
      departments: { departmentCode: string; rosterRevision: number; inspectorCount: number; inspectors: { id: string; name: string }[] | null }[];
      reproduced: boolean;
    }
    const input = (extra: Record<string, unknown> = {}) => ({ industryCode: INDUSTRY, period: '2026-Q4', sampleSize: 3, inspectorsPerDepartment: 2, seed: 'seed-2026-q4-plan', ...extra });
    const draw = (extra: Record<string, unknown> = {}, by: Identity = ADMIN) => s.run<{ drawInspectionPlan: Plan }>(by, PLAN, { input: input(extra) });
    const read = (by: Identity, period = '2026-Q4') =>
      s.run<{ inspectionPlan: Plan | null }>(by, 'query ($i: ID!, $p: String!) { inspectionPlan(industryCode: $i, period: $p) { id businesses { permitId } departments { departmentCode inspectorCount inspectors { id name } } reproduced } }', { i: INDUSTRY, p: period });
    const roster = (departmentCode: string, ids: string[], basedOnRevision = 0) =>
      s.run<{ setInspectorRoster: { revision: number } }>(ADMIN, ROSTER, { input: { departmentCode, inspectors: ids.map((id) => ({ id, name: `检查员${id}` })), basedOnRevision } });

    beforeAll(async () => {
      for (let n = 1; n <= 8; n++) {
        const items = [{ itemCode: 'MR-FOOD-BUSINESS', departmentCode: 'market-regulation', permitted: true, licenceId: `food-${n}` }];
        if (n % 2 === 0) items.push({ itemCode: 'FR-FIRE-CHECK', departmentCode: 'fire-rescue', permitted: true, licenceId: `fire-${n}` });
        await s.deliver('PermitListed', 'permit', { permitId: `plan-app-${n}:v1`, applicationId: `plan-app-${n}`, code: `PLAN${n}CODE`, version: 1, industryCode: INDUSTRY, holder: { companyName: `抽查公司${n}`, creditCode: '91110113MA00000000' }, items, issuedAt: '2026-12-01T02:00:00.000Z' });
      }
      // One is void: never drawn.
      await s.deliver('PermitVoided', 'permit', { permitId: 'plan-app-8:v1', applicationId: 'plan-app-8', industryCode: INDUSTRY, licenceId: 'food-8', departmentCode: 'market-regulation', ending: 'CANCELLED', at: '2026-12-02T02:00:00.000Z' });
    });

    it('refuses a draw while a department concerned has no roster, writing nothing', async () => {
      const r = await draw();
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'NOT_READY' });
      expect(r.errors![0].message).toMatch(/roster/);
      expect((await read(ADMIN)).data!.inspectionPlan).toBeNull();
    });

    it('draws businesses from the valid holders and inspectors from each roster, as the published rule says', async () => {
      expect((await roster('market-regulation', ['MR-01', 'MR-02', 'MR-03', 'MR-04'])).data!.setInspectorRoster.revision).toBe(1);
      expect((await roster('fire-rescue', ['FR-01', 'FR-02', 'FR-03'])).data!.setInspectorRoster.revision).toBe(1);
      const r = await draw();
      expect(r.errors).toBeUndefined();
      const plan = r.data!.drawInspectionPlan;
      expect(plan.id).toBe(`${INDUSTRY}:2026-Q4`);
      expect(plan.population.map((c) => c.permitId)).toEqual(Array.from({ length: 7 }, (_, i) => `plan-app-${i + 1}:v1`));
      expect(plan.businesses.map((b) => b.permitId)).toEqual(weightedDraw(plan.population.map((c) => ({ id: c.permitId, weight: c.weight })), 3, 'seed-2026-q4-plan'));
      const concerned = [...new Set(plan.businesses.flatMap((b) => b.departmentCodes))];
      expect(plan.departments.map((d) => d.departmentCode).sort()).toEqual(concerned.sort());
      for (const d of plan.departments) {
        const ids = d.departmentCode === 'market-regulation' ? ['MR-01', 'MR-02', 'MR-03', 'MR-04'] : ['FR-01', 'FR-02', 'FR-03'];
        expect(d.inspectors!.map((i) => i.id)).toEqual(weightedDraw(ids.map((id) => ({ id, weight: 1 })), 2, `seed-2026-q4-plan:${d.departmentCode}`));
        expect(d).toMatchObject({ rosterRevision: 1, inspectorCount: 2 });
      }
      expect(plan.reproduced).toBe(true);
    });

    it('draws once a period: the same seed returns the recorded plan, another seed or size is refused', async () => {
      const recorded = (await read(ADMIN)).data!.inspectionPlan!;
      const again = await draw();
      expect(again.data!.drawInspectionPlan.businesses.map((b) => b.permitId)).toEqual(recorded.businesses.map((b) => b.permitId));
      for (const other of [{ seed: 'another-seed-entirely' }, { sampleSize: 4 }]) {
        const refused = await draw(other);
        expect(refused.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.seed' });
        expect(refused.errors![0].message).toContain('seed-2026-q4-plan');
      }
      expect((await read(ADMIN)).data!.inspectionPlan).toEqual(recorded);
      // Six admins drawing one new period at once, with different seeds: one seed stands, the rest are told.
      const racing = await Promise.all(Array.from({ length: 6 }, (_, i) => draw({ period: '2027-01', seed: `racing-seed-${i}` })));
      expect(racing.filter((r) => !r.errors)).toHaveLength(1);
      for (const lost of racing.filter((r) => r.errors)) expect(lost.errors![0].extensions?.code).toBe('CONFLICT');
    });

    it('publishes the plan without inspectors’ names; admins and inspectors see them', async () => {
      const publicView = (await read(PUBLIC)).data!.inspectionPlan!;
      expect(publicView.businesses).toHaveLength(3);
      for (const d of publicView.departments) {
        expect(d.inspectors).toBeNull();
        expect(d.inspectorCount).toBe(2);
      }
      const inspector = { role: 'INSPECTOR' as const, subject: 'MR-01', department: 'market-regulation' };
      expect((await read(inspector)).data!.inspectionPlan!.departments.every((d) => d.inspectors?.length === 2)).toBe(true);
    });

    it('says when a recorded draw no longer reproduces (a record altered after the draw)', async () => {
      const plans = s.db.db!.collection('inspection_plans');
      const stored = (await plans.findOne({ _id: `${INDUSTRY}:2026-Q4` } as never)) as unknown as { businesses: { permitId: string }[] };
      const swapped = [...stored.businesses].reverse();
      await plans.updateOne({ _id: `${INDUSTRY}:2026-Q4` } as never, { $set: { businesses: swapped } });
      expect((await read(PUBLIC)).data!.inspectionPlan!.reproduced).toBe(false);
      await plans.updateOne({ _id: `${INDUSTRY}:2026-Q4` } as never, { $set: { businesses: stored.businesses } });
      expect((await read(PUBLIC)).data!.inspectionPlan!.reproduced).toBe(true);
    });

    it('refuses bad input with every field path, an empty industry, and a stale roster edit; writes nothing', async () => {
      const bad = await draw({ industryCode: 'Bad Code', period: '2026-13', sampleSize: 0, inspectorsPerDepartment: 11, seed: 'short' });
      expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect((bad.errors![0].extensions!.problems as { path: string }[]).map((p) => p.path)).toEqual(['input.industryCode', 'input.period', 'input.sampleSize', 'input.inspectorsPerDepartment', 'input.seed']);
      const empty = await draw({ industryCode: 'no-holders-here' });
      expect(empty.errors?.[0].extensions).toMatchObject({ code: 'NOT_READY', field: 'input.industryCode' });
      const stale = await roster('market-regulation', ['MR-09'], 0);
      expect(stale.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.basedOnRevision' });
      const duplicate = await s.run(ADMIN, ROSTER, { input: { departmentCode: 'nowhere', inspectors: [{ id: 'A-1', name: '甲某' }, { id: 'A-1', name: '乙' }], basedOnRevision: 1 } });
      expect((duplicate.errors![0].extensions!.problems as { path: string; code: string }[]).map((p) => `${p.path} ${p.code}`)).toEqual(['input.departmentCode UNKNOWN', 'input.inspectors.1.id DUPLICATE', 'input.inspectors.1.name TOO_SHORT']);
      const latest = await s.run<{ inspectorRoster: { revision: number } }>(ADMIN, '{ inspectorRoster(departmentCode: "market-regulation") { revision } }');
      expect(latest.data!.inspectorRoster.revision).toBe(1);
      expect(await s.db.db!.collection('inspection_plans').countDocuments({ _id: { $in: ['no-holders-here:2026-Q4', 'Bad Code:2026-13'] } } as never)).toBe(0);
    });

    it("shows an inspector only their own department's roster", async () => {
      const own = await s.run<{ inspectorRoster: { inspectors: { id: string }[] } }>({ role: 'INSPECTOR', subject: 'MR-01', department: 'market-regulation' }, '{ inspectorRoster(departmentCode: "market-regulation") { inspectors { id } } }');
      expect(own.data!.inspectorRoster.inspectors).toHaveLength(4);
      const other = await s.run({ role: 'INSPECTOR', subject: 'MR-01', department: 'market-regulation' }, '{ inspectorRoster(departmentCode: "fire-rescue") { inspectors { id } } }');
      expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('joint inspections (一查)', () => {
    const ADMIN = { role: 'ADMIN' as const, subject: 'admin-01' };
    const INDUSTRY = 'inspect-test';
    const planId = `${INDUSTRY}:2026-12`;
    const FIELDS = 'id closed result points { point { code itemCode departmentCode onFailure } result note recordedBy } followUps { departmentCode pointCode kind dueDate licenceId }';
    interface Inspection {
      closed: boolean;
      result: string | null;
      points: { point: { code: string; itemCode: string; departmentCode: string; onFailure: string }; result: string | null }[];
      followUps: { departmentCode: string; pointCode: string; kind: string; dueDate: string | null; licenceId: string | null }[];
    }
    let drawn: Record<string, string[]>;
    const inspector = (department: string, subject: string): Identity => ({ role: 'INSPECTOR', subject, department });
    const inspection = (by: Identity, code = 'INSPECT1') => s.run<{ inspection: Inspection }>(by, `query ($p: ID!, $c: ID!) { inspection(planId: $p, permitCode: $c) { ${FIELDS} } }`, { p: planId, c: code });
    const photo = { name: 'site-photo.pdf', mediaType: 'application/pdf', contentBase64: samplePdf('site photo').toString('base64') };
    // A failure comes with its evidence unless a test says otherwise.
    const record = (by: Identity, pointCode: string, result: string, note?: string, evidence = result === 'FAIL' ? [photo] : undefined) =>
      s.run<{ recordInspectionPoint: Inspection }>(by, `mutation ($input: InspectionPointInput!) { recordInspectionPoint(input: $input) { ${FIELDS} } }`, { input: { planId, permitCode: 'INSPECT1', pointCode, result, note, evidence } });
    const lastInspection = async () => {
      const r = await s.run<{ _entities: { lastInspection: { closedOn: string; result: string } | null }[] }>(PUBLIC, 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Permit { lastInspection { closedOn result } } } }', {
        r: [{ __typename: 'Permit', id: 'inspect-app-1:v1' }],
      });
      expect(r.errors).toBeUndefined();
      return r.data!._entities[0].lastInspection;
    };
    const close = (by: Identity) => s.run<{ closeInspection: Inspection }>(by, `mutation ($p: ID!, $c: ID!) { closeInspection(planId: $p, permitCode: $c) { ${FIELDS} } }`, { p: planId, c: 'INSPECT1' });

    beforeAll(async () => {
      // One business holding a drug retail licence (a point of it is ENFORCEMENT) and the fire check; rosters are those above.
      await s.deliver('PermitListed', 'permit', {
        permitId: 'inspect-app-1:v1', applicationId: 'inspect-app-1', code: 'INSPECT1', version: 1, industryCode: INDUSTRY,
        holder: { companyName: '检查药店', creditCode: '91110113MA00000000' },
        items: [
          { itemCode: 'MR-DRUG-RETAIL', departmentCode: 'market-regulation', permitted: true, licenceId: 'drug-licence-1' },
          { itemCode: 'FR-FIRE-CHECK', departmentCode: 'fire-rescue', permitted: true, licenceId: 'fire-licence-1' },
        ],
        issuedAt: '2026-12-01T02:00:00.000Z',
      });
      const plan = await s.run<{ drawInspectionPlan: { departments: { departmentCode: string; inspectors: { id: string }[] }[] } }>(ADMIN, 'mutation ($input: InspectionPlanInput!) { drawInspectionPlan(input: $input) { departments { departmentCode inspectors { id } } } }', {
        input: { industryCode: INDUSTRY, period: '2026-12', sampleSize: 1, inspectorsPerDepartment: 1, seed: 'inspect-test-seed' },
      });
      drawn = Object.fromEntries(plan.data!.drawInspectionPlan.departments.map((d) => [d.departmentCode, d.inspectors.map((i) => i.id)]));
    });

    it("gives an inspector the plan drew the business's checklist; refuses one it did not", async () => {
      const mr = inspector('market-regulation', drawn['market-regulation'][0]);
      const seen = await inspection(mr);
      expect(seen.errors).toBeUndefined();
      expect(seen.data!.inspection.points.map((p) => p.point.code)).toEqual(checklistOf(['MR-DRUG-RETAIL', 'FR-FIRE-CHECK']).map((p) => p.code));
      expect(seen.data!.inspection.points.every((p) => p.result === null)).toBe(true);
      const notDrawn = ['MR-01', 'MR-02', 'MR-03', 'MR-04'].find((id) => !drawn['market-regulation'].includes(id))!;
      expect((await inspection(inspector('market-regulation', notDrawn))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect((await inspection(mr, 'NOT-DRAWN')).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    });

    it("records each department's own points on the checklist; a failure needs the facts; closing needs every point and happens once", async () => {
      const mr = inspector('market-regulation', drawn['market-regulation'][0]);
      const fr = inspector('fire-rescue', drawn['fire-rescue'][0]);
      const points = checklistOf(['MR-DRUG-RETAIL', 'FR-FIRE-CHECK']);
      const mrPoints = points.filter((p) => p.departmentCode === 'market-regulation');
      const frPoints = points.filter((p) => p.departmentCode === 'fire-rescue');
      expect((await record(fr, mrPoints[0].code, 'PASS')).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.pointCode' });
      expect((await record(mr, 'CO-ALCOHOL-RETAIL-01', 'PASS')).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.pointCode' });
      // A failure needs the facts and the evidence; every problem is named, and nothing is recorded.
      const bare = await record(mr, mrPoints[0].code, 'FAIL', undefined, []);
      expect(bare.errors?.[0].extensions?.problems).toEqual([expect.objectContaining({ path: 'input.note', code: 'REQUIRED' }), expect.objectContaining({ path: 'input.evidence', code: 'REQUIRED' })]);
      const forged = { name: 'photo.png', mediaType: 'image/png', contentBase64: Buffer.from('not a png at all').toString('base64') };
      const tooMany = await record(mr, mrPoints[0].code, 'FAIL', '无证经营', [forged, photo, photo, photo, photo, photo]);
      expect((tooMany.errors?.[0].extensions?.problems as { path: string; code: string }[]).map((p) => `${p.path}:${p.code}`)).toEqual(['input.evidence:TOO_MANY', 'input.evidence.0.contentBase64:CONTENT_MISMATCH']);
      expect((await inspection(mr)).data!.inspection.points.every((p) => p.result === null)).toBe(true);
      expect(await lastInspection()).toBeNull();
      expect((await close(mr)).errors?.[0].extensions?.code).toBe('WRONG_STATE');
      // Fire rescue passes everything; market regulation fails one correction point and its enforcement point.
      for (const p of frPoints) expect((await record(fr, p.code, 'PASS')).errors).toBeUndefined();
      const enforcement = mrPoints.find((p) => p.onFailure === 'ENFORCEMENT')!;
      const correction = mrPoints.find((p) => p.onFailure === 'CORRECTION')!;
      for (const p of mrPoints) {
        const failed = p.code === enforcement.code || p.code === correction.code;
        expect((await record(mr, p.code, failed ? 'FAIL' : 'NOT_APPLICABLE', failed ? '现场发现：处方药未凭处方销售' : undefined)).errors).toBeUndefined();
      }
      // Recorded again before closing: the latest counts.
      expect((await record(mr, correction.code, 'PASS')).data!.recordInspectionPoint.points.find((p) => p.point.code === correction.code)!.result).toBe('PASS');
      const evidenced = await record(mr, correction.code, 'FAIL', '复查仍未整改');
      const stored = (await s.run<{ inspection: { points: { point: { code: string }; evidence: { sha256: string; size: number; mediaType: string; name: string }[] }[] } }>(mr, 'query ($p: ID!, $c: ID!) { inspection(planId: $p, permitCode: $c) { points { point { code } evidence { sha256 size mediaType name } } } }', { p: planId, c: 'INSPECT1' })).data!.inspection.points.find((p) => p.point.code === correction.code)!;
      expect(evidenced.errors).toBeUndefined();
      const bytes = Buffer.from(photo.contentBase64, 'base64');
      expect(stored.evidence).toEqual([{ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, mediaType: 'application/pdf', name: 'site-photo.pdf' }]);
      // The department acting on it (and admins) read the file back, byte for byte; another department does not.
      const FILE = 'query ($i: ID!, $p: ID!, $s: String!) { evidenceFile(inspectionId: $i, pointCode: $p, sha256: $s) { contentBase64 mediaType } }';
      const file = { i: `${planId}/INSPECT1`, p: correction.code, s: stored.evidence[0].sha256 };
      const read = await s.run<{ evidenceFile: { contentBase64: string; mediaType: string } }>({ role: 'REVIEWER', subject: 'reviewer-mr', department: 'market-regulation' }, FILE, file);
      expect(Buffer.from(read.data!.evidenceFile.contentBase64, 'base64').equals(bytes)).toBe(true);
      expect((await s.run(fr, FILE, file)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect((await s.run(ADMIN, FILE, { ...file, s: '0'.repeat(64) })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
      const closed = await close(fr);
      expect(closed.errors).toBeUndefined();
      const result = closed.data!.closeInspection;
      expect(result).toMatchObject({ closed: true, result: 'FAILED' });
      const today = new Date(Date.now() + 8 * 3600 * 1000);
      const due = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + correction.correctionDays!)).toISOString().slice(0, 10);
      expect(result.followUps).toEqual([
        { departmentCode: 'market-regulation', pointCode: correction.code, kind: 'CORRECTION', dueDate: due, licenceId: null },
        { departmentCode: 'market-regulation', pointCode: enforcement.code, kind: 'ENFORCEMENT', dueDate: null, licenceId: 'drug-licence-1' },
      ].sort((a, b) => points.findIndex((p) => p.code === a.pointCode) - points.findIndex((p) => p.code === b.pointCode)));
      expect((await record(mr, correction.code, 'PASS')).errors?.[0].extensions?.code).toBe('WRONG_STATE');
      expect((await close(mr)).errors?.[0].extensions?.code).toBe('WRONG_STATE');
      // 一公开: the scan shows the day and the result, nothing else.
      expect(await lastInspection()).toEqual({ closedOn: beijingToday(), result: 'FAILED' });
    });

    it("gives each department its own follow-ups", async () => {
      const reviewer = (department: string): Identity => ({ role: 'REVIEWER', subject: `reviewer-${department}`, department });
      const mine = await s.run<{ followUps: { pointCode: string; kind: string }[] }>(reviewer('market-regulation'), '{ followUps(departmentCode: "market-regulation") { pointCode kind } }');
      expect(mine.data!.followUps.map((f) => f.kind).sort()).toEqual(['CORRECTION', 'ENFORCEMENT']);
      expect((await s.run<{ followUps: unknown[] }>(reviewer('fire-rescue'), '{ followUps(departmentCode: "fire-rescue") { pointCode } }')).data!.followUps).toEqual([]);
      expect((await s.run(reviewer('fire-rescue'), '{ followUps(departmentCode: "market-regulation") { pointCode } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });

    it('lets the owning department confirm a correction once; enforcement is not confirmed here', async () => {
      const reviewer = (department: string): Identity => ({ role: 'REVIEWER', subject: `reviewer-${department}`, department });
      const FOLLOW_UPS = '{ followUps(departmentCode: "market-regulation") { id kind status correctedAt correctionNote } }';
      const before = (await s.run<{ followUps: { id: string; kind: string; status: string }[] }>(reviewer('market-regulation'), FOLLOW_UPS)).data!.followUps;
      expect(before.map((f) => f.status)).toEqual(['OPEN', 'OPEN']);
      const order = before.find((f) => f.kind === 'CORRECTION')!;
      const enforcement = before.find((f) => f.kind === 'ENFORCEMENT')!;
      const CORRECT = 'mutation ($id: ID!, $n: String!) { recordCorrection(followUpId: $id, note: $n) { id status correctionNote } }';
      expect((await s.run(reviewer('fire-rescue'), CORRECT, { id: order.id, n: '已整改' })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect((await s.run(reviewer('market-regulation'), CORRECT, { id: order.id, n: '  ' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'note' });
      expect((await s.run(reviewer('market-regulation'), CORRECT, { id: enforcement.id, n: '已处罚' })).errors?.[0].extensions?.code).toBe('WRONG_STATE');
      expect((await s.run(reviewer('market-regulation'), CORRECT, { id: 'no/such/follow-up', n: '已整改' })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
      const done = await s.run<{ recordCorrection: { status: string; correctionNote: string } }>(reviewer('market-regulation'), CORRECT, { id: order.id, n: '已按处方销售登记整改' });
      expect(done.data!.recordCorrection).toMatchObject({ status: 'CORRECTED', correctionNote: '已按处方销售登记整改' });
      expect((await s.run(reviewer('market-regulation'), CORRECT, { id: order.id, n: '再次确认' })).errors?.[0].extensions?.code).toBe('WRONG_STATE');
    });

    it('takes complaints against a permit code from anyone, sends them to the departments concerned, and refuses bad ones writing nothing', async () => {
      const SUBMIT = 'mutation ($input: ComplaintInput!) { submitComplaint(input: $input) { id receivedAt departmentCodes } }';
      const COMPLAINTS = (d: string) => `{ complaints(departmentCode: "${d}") { permitCode companyName itemCode text contact } }`;
      const reviewer = (department: string): Identity => ({ role: 'REVIEWER', subject: `reviewer-${department}`, department });
      const count = async () => (await s.run<{ complaints: unknown[] }>(ADMIN, COMPLAINTS('fire-rescue'))).data!.complaints.length;
      const refusals: [Record<string, unknown>, string, string][] = [
        [{ permitCode: ' ', text: '消防通道被杂物堵塞，无法通行' }, 'input.permitCode', 'REQUIRED'],
        [{ permitCode: 'INSPECT1', text: '太吵' }, 'input.text', 'TOO_SHORT'],
        [{ permitCode: 'INSPECT1', text: '堵'.repeat(1001) }, 'input.text', 'TOO_LONG'],
        [{ permitCode: 'INSPECT1', text: '消防通道被杂物堵塞，无法通行', contact: '1'.repeat(101) }, 'input.contact', 'TOO_LONG'],
        [{ permitCode: 'INSPECT1', itemCode: 'CO-ALCOHOL-RETAIL', text: '无证售酒，深夜仍在营业' }, 'input.itemCode', 'NOT_ON_PERMIT'],
      ];
      for (const [input, path, code] of refusals) {
        const r = await s.run(PUBLIC, SUBMIT, { input });
        expect(r.errors?.[0].extensions?.problems).toEqual([expect.objectContaining({ path, code })]);
      }
      expect((await s.run(PUBLIC, SUBMIT, { input: { permitCode: 'NO-SUCH-CODE', text: '消防通道被杂物堵塞，无法通行' } })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(await count()).toBe(0);
      const all = await s.run<{ submitComplaint: { departmentCodes: string[] } }>(PUBLIC, SUBMIT, { input: { permitCode: 'inspect1', text: '消防通道被杂物堵塞，无法通行', contact: '13800000000' } });
      expect(all.data!.submitComplaint.departmentCodes.sort()).toEqual(['fire-rescue', 'market-regulation']);
      const one = await s.run<{ submitComplaint: { departmentCodes: string[] } }>(PUBLIC, SUBMIT, { input: { permitCode: 'INSPECT1', itemCode: 'FR-FIRE-CHECK', text: '安全出口指示灯不亮，疏散通道堵塞' } });
      expect(one.data!.submitComplaint.departmentCodes).toEqual(['fire-rescue']);
      const fire = (await s.run<{ complaints: { itemCode: string | null; contact: string | null; companyName: string }[] }>(reviewer('fire-rescue'), COMPLAINTS('fire-rescue'))).data!.complaints;
      expect(fire.map((c) => c.itemCode)).toEqual(['FR-FIRE-CHECK', null]);
      expect(fire[1]).toMatchObject({ contact: '13800000000', companyName: '检查药店' });
      expect((await s.run<{ complaints: unknown[] }>(reviewer('market-regulation'), COMPLAINTS('market-regulation'))).data!.complaints).toHaveLength(1);
      expect((await s.run(reviewer('market-regulation'), COMPLAINTS('fire-rescue'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });

    it("grades the business from its inputs, each factor saying why, and counts the year's figures", async () => {
      const ANALYST: Identity = { role: 'ANALYST', subject: 'analyst-01' };
      const r = await s.run<{ riskGrade: { grade: string; score: number; weight: number; factors: { factor: string; points: number }[] } }>(ANALYST, '{ riskGrade(permitCode: "INSPECT1") { grade score weight factors { factor points } } }');
      expect(r.errors).toBeUndefined();
      const { factors, score, grade, weight } = r.data!.riskGrade;
      // An industry the table does not list is MEDIUM (10); the last inspection failed (20); the correction was on time (0); no licence ended (0); two complaints (10).
      expect(factors).toEqual([
        { factor: 'BASE_RISK', points: 10 },
        { factor: 'INSPECTION', points: 20 },
        { factor: 'CORRECTIONS', points: 0 },
        { factor: 'LICENCES_ENDED', points: 0 },
        { factor: 'COMPLAINTS', points: 10 },
      ]);
      expect({ score, grade, weight }).toEqual({ score: 40, grade: 'C', weight: 2 });
      const year = Number(beijingToday().slice(0, 4));
      const figures = await s.run<{ supervisionFigures: { inspections: number; businessesInspected: number; visitsPerBusinessWithJointInspection: number; visitsPerBusinessWithoutJointInspection: number; visitsWithJointInspection: number; visitsWithoutJointInspection: number; failureRates: { pointCode: string; passed: number; failed: number; notApplicable: number; rate: number | null }[]; corrections: Record<string, number | null>; grades: { industryCode: string; counts: { grade: string; count: number }[] }[] } }>(
        ANALYST,
        'query ($y: Int!, $i: ID) { supervisionFigures(year: $y, industryCode: $i) { inspections businessesInspected visitsWithJointInspection visitsWithoutJointInspection visitsPerBusinessWithJointInspection visitsPerBusinessWithoutJointInspection failureRates { pointCode passed failed notApplicable rate } corrections { ordered correctedOnTime correctedLate overdue notYetDue onTimeRate } grades { industryCode counts { grade count } } } }',
        { y: year, i: INDUSTRY },
      );
      expect(figures.errors).toBeUndefined();
      const f = figures.data!.supervisionFigures;
      // One visit instead of two (market regulation and fire rescue each checked points).
      expect(f).toMatchObject({ inspections: 1, businessesInspected: 1, visitsWithJointInspection: 1, visitsWithoutJointInspection: 2, visitsPerBusinessWithJointInspection: 1, visitsPerBusinessWithoutJointInspection: 2 });
      expect(f.failureRates.filter((x) => x.failed > 0).map((x) => x.rate)).toEqual([1, 1]);
      expect(f.failureRates.filter((x) => x.notApplicable > 0).every((x) => x.rate === null)).toBe(true);
      expect(f.corrections).toEqual({ ordered: 1, correctedOnTime: 1, correctedLate: 0, overdue: 0, notYetDue: 0, onTimeRate: 1 });
      expect(f.grades).toEqual([{ industryCode: INDUSTRY, counts: [{ grade: 'A', count: 0 }, { grade: 'B', count: 0 }, { grade: 'C', count: 1 }, { grade: 'D', count: 0 }] }]);
      expect((await s.run(ANALYST, '{ supervisionFigures(year: 1999) { inspections } }')).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
});
