import { request } from 'undici';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Identity } from '../../shared/identity';
import { REPO_ROOT } from '../../shared/registry';
import { graphql } from '../support/client';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal, problemsOf } from '../support/refusals';

/**
 * Running the reform through the gateway: the rollout board (stages gated by the
 * readiness checklist, with history) and the work team's roster (and its page).
 */
describe('the reform programme', () => {
  let t: TestPlatform;
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  const ENTRY = 'industryCode stage since ready checklist { condition met detailZh detailEn } targets { target dueOn reached } late { target dueOn } history { from to reason by at }';
  type Entry = {
    industryCode: string;
    stage: string;
    ready: boolean;
    checklist: { condition: string; met: boolean; detailZh: string; detailEn: string }[];
    targets: { target: string; reached: boolean }[];
    late: { target: string; dueOn: string }[];
    history: { from: string | null; to: string; reason: string; by: string }[];
  };
  const board = async () => (await as<{ rolloutBoard: Entry[] }>(t.walk.admin(), `{ rolloutBoard { ${ENTRY} } }`)).data!.rolloutBoard;
  const entry = async (code: string) => (await board()).find((e) => e.industryCode === code)!;
  const CHANGE = `mutation ($i: ID!, $s: RolloutState!, $r: String!) { changeRolloutStage(industryCode: $i, stage: $s, reason: $r) { ${ENTRY} } }`;
  const change = (industryCode: string, stage: string, reason = '专班会议决定') => as<{ changeRolloutStage: Entry }>(t.walk.admin(), CHANGE, { i: industryCode, s: stage, r: reason });
  const ENTRUST = 'mutation ($input: EntrustmentInput!) { recordEntrustment(input: $input) { itemCode departmentCode revision acceptanceEntrusted approvalAuthorised recordedBy } }';
  const entrust = (itemCode: string, basedOnRevision: number, approvalAuthorised = true, extra: Record<string, unknown> = {}) =>
    as<{ recordEntrustment: { revision: number; departmentCode: string } }>(t.walk.admin(), ENTRUST, {
      input: { itemCode, acceptanceEntrusted: true, approvalAuthorised, documentReference: '顺政服委〔2023〕12号', signedOn: '2023-04-20', basedOnRevision, ...extra },
    });

  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('the rollout board', () => {
    it("starts each repository industry where the catalogue said it stood, with that import in its history, and says what is late against the plan's dates", async () => {
      const seed = JSON.parse(readFileSync(join(REPO_ROOT, 'subgraphs/applications/rollout-seed.json'), 'utf8')).stages as Record<string, string>;
      const entries = await board();
      expect(entries).toHaveLength(Object.keys(seed).length);
      for (const e of entries) {
        expect(e.stage).toBe(seed[e.industryCode]);
        expect(e.history).toEqual([expect.objectContaining({ from: null, to: seed[e.industryCode], by: 'system' })]);
        // The plan wanted every industry live by 2023-11-30: whoever is not live is late.
        expect(e.late.map((l) => l.target).includes('LIVE')).toBe(e.stage !== 'LIVE');
      }
      // Nothing is entrusted on record yet, so no industry's checklist is complete, though the published ones have their guide.
      expect(entries.every((e) => !e.ready && e.checklist.find((c) => c.condition === 'GUIDE')!.met)).toBe(true);
      // Industry.rolloutState is the board's stage, for everyone.
      const listed = (await as<{ industries: { code: string; rolloutState: string }[] }>(null, '{ industries { code rolloutState } }')).data!.industries;
      expect(Object.fromEntries(listed.map((i) => [i.code, i.rolloutState]))).toEqual(seed);
    });

    it('walks an industry from draft to live, each step gated by its checklist and given a reason; a wrong step, no reason or a missing entrustment changes nothing', async () => {
      await t.walk.publishIndustry('board-test', [
        { itemCode: 'UM-SIGNBOARD', department: 'urban-management' },
        { itemCode: 'CT-TRAVEL-AGENCY', department: 'culture-tourism' },
      ]);
      const fresh = await entry('board-test');
      expect(fresh).toMatchObject({ stage: 'DRAFT', history: [], ready: false });
      expect(fresh.checklist.find((c) => c.condition === 'ENTRUSTMENT')).toMatchObject({ met: false, detailZh: expect.stringContaining('UM-SIGNBOARD、CT-TRAVEL-AGENCY') });
      expectRefusal(await change('board-test', 'LIVE'), 'WRONG_STATE', 'stage');
      expectRefusal(await change('board-test', 'ENTRUSTED', ' '), 'BAD_USER_INPUT');
      expect(problemsOf(await change('board-test', 'ENTRUSTED', ' ')).map((p) => p.path)).toEqual(['reason']);
      expectRefusal(await change('board-test', 'ENTRUSTED'), 'NOT_READY', 'stage');
      expectRefusal(await change('no-such-industry', 'ENTRUSTED'), 'NOT_FOUND');

      // Entrustment records: refused with every field path; a stale revision refused; nothing written.
      const bad = await entrust('NO-SUCH-ITEM', 0, true, { documentReference: 'x', signedOn: '2023-02-30' });
      expect(problemsOf(bad).map((p) => `${p.path}:${p.code}`)).toEqual(['input.itemCode:UNKNOWN', 'input.documentReference:OUT_OF_RANGE', 'input.signedOn:INVALID_DATE']);
      expect(problemsOf(await entrust('UM-SIGNBOARD', 0, true, { signedOn: '2999-01-01' })).map((p) => p.code)).toEqual(['IN_FUTURE']);
      const none = await as<{ entrustments: unknown[] }>(t.walk.clerk(), '{ entrustments(itemCode: "UM-SIGNBOARD") { revision } }');
      expect(none.data!.entrustments).toEqual([]);
      // Acceptance entrusted, approval not yet authorised: still not ready.
      expect((await entrust('UM-SIGNBOARD', 0, false)).data!.recordEntrustment).toMatchObject({ revision: 1, departmentCode: 'urban-management' });
      expectRefusal(await entrust('UM-SIGNBOARD', 0), 'CONFLICT', 'input.basedOnRevision');
      expect((await entrust('CT-TRAVEL-AGENCY', 0)).errors).toBeUndefined();
      expect((await entry('board-test')).checklist.find((c) => c.condition === 'ENTRUSTMENT')).toMatchObject({ met: false, detailZh: expect.stringContaining('UM-SIGNBOARD') });
      expectRefusal(await change('board-test', 'ENTRUSTED'), 'NOT_READY');
      expect((await entrust('UM-SIGNBOARD', 1)).data!.recordEntrustment.revision).toBe(2);

      expect((await change('board-test', 'ENTRUSTED', '两个事项均已委托受理、授权审批')).data!.changeRolloutStage).toMatchObject({ stage: 'ENTRUSTED', ready: true });
      expect((await change('board-test', 'PILOT', '试点：顺义区政务服务中心')).data!.changeRolloutStage.stage).toBe('PILOT');
      // Two admins putting it live at the same moment: one change, the other told it is live already.
      const both = await Promise.all([change('board-test', 'LIVE', '试点一个月无问题'), change('board-test', 'LIVE', '试点一个月无问题')]);
      expect(both.map((r) => r.errors?.[0]?.extensions?.code ?? 'CHANGED').sort()).toEqual(['CHANGED', 'WRONG_STATE']);
      const paused = (await change('board-test', 'PAUSED', '上级部门调整审批权限')).data!.changeRolloutStage;
      expect(paused.history.map((h) => [h.from, h.to, h.by])).toEqual([
        ['DRAFT', 'ENTRUSTED', 'admin-01'],
        ['ENTRUSTED', 'PILOT', 'admin-01'],
        ['PILOT', 'LIVE', 'admin-01'],
        ['LIVE', 'PAUSED', 'admin-01'],
      ]);
      expect(paused.history.at(-1)!.reason).toBe('上级部门调整审批权限');
      expect((await as<{ industry: { rolloutState: string } }>(null, '{ industry(code: "board-test") { rolloutState } }')).data!.industry.rolloutState).toBe('PAUSED');
      // The board itself is the bureau's.
      expectRefusal(await as(null, '{ industry(code: "board-test") { rollout { stage } } }'), 'UNAUTHENTICATED');
      expectRefusal(await as(t.walk.reviewer('water'), '{ rolloutBoard { stage } }'), 'FORBIDDEN');
      expectRefusal(await as(t.walk.clerk(), CHANGE, { i: 'board-test', s: 'LIVE', r: '恢复' }), 'FORBIDDEN');
    });

    it('refuses a pilot while the industry is only in the draft catalogue: its guide is not published', async () => {
      const UPSERT = 'mutation ($input: CatalogueIndustryInput!) { upsertCatalogueIndustry(input: $input) { code } }';
      const input = { code: 'board-draft', nameZh: '草稿行业', nameEn: 'Draft industry', mergedForm: false, questions: [], items: [{ itemCode: 'CT-TRAVEL-AGENCY', department: 'culture-tourism' }], illustrative: ['questions'] };
      expect((await as(t.walk.admin(), UPSERT, { input })).errors).toBeUndefined();
      const drafted = await entry('board-draft');
      expect(drafted.checklist.filter((c) => !c.met).map((c) => c.condition)).toEqual(['FORM', 'COMMITMENT', 'GUIDE']);
      expect((await change('board-draft', 'ENTRUSTED', '委托已签署')).errors).toBeUndefined();
      const refused = expectRefusal(await change('board-draft', 'PILOT'), 'NOT_READY', 'stage');
      expect(String(refused.extensions?.messageEn)).toContain('not in a published catalogue edition');
      expect((await entry('board-draft')).stage).toBe('ENTRUSTED');
      await as(t.walk.admin(), 'mutation { discardCatalogueDraft }');
    });
  });

  describe('cases (落地案例)', () => {
    it('exports an industry case as a page and as CSV, with the figures the API gives, for admins and analysts only', async () => {
      const ANALYST: Identity = { role: 'ANALYST', subject: 'analyst-01' };
      const bearer = { authorization: `Bearer ${await t.token(ANALYST)}` };
      const api = (await as<{ reformFigures: { industryCode: string; formFieldsSeparate: number; formFieldsMerged: number; materialsSeparate: number; materialsMerged: number; committedDaysUnified: number }[]; processingStatistics: { byIndustry: { key: string; decided: number }[] } }>(
        ANALYST,
        '{ reformFigures { industryCode formFieldsSeparate formFieldsMerged materialsSeparate materialsMerged committedDaysUnified } processingStatistics { byIndustry { key decided } } }',
      )).data!;
      const figures = api.reformFigures.find((f) => f.industryCode === 'restaurant')!;
      const page = await request(`${t.documentsUrl}/cases/restaurant`, { headers: bearer });
      const html = await page.body.text();
      expect(page.statusCode).toBe(200);
      expect(html).toContain('落地案例');
      expect(html).toContain('id="illustrative"'); // the catalogue's committed days are illustrative, and the page says so
      const csv = await request(`${t.documentsUrl}/cases/restaurant?format=csv`, { headers: bearer });
      expect(csv.headers['content-type']).toContain('text/csv');
      const text = (await csv.body.text()).replace(/^\ufeff/, '');
      const [header, ...rows] = text.trim().split('\r\n').map((line) => line.split(','));
      expect(header).toEqual(['industry', 'key', 'measure_zh', 'measure_en', 'before', 'after', 'change']);
      const row = (key: string) => rows.find((r) => r[1] === key)!;
      expect([row('fields')[4], row('fields')[5]]).toEqual([String(figures.formFieldsSeparate), String(figures.formFieldsMerged)]);
      expect([row('materials')[4], row('materials')[5]]).toEqual([String(figures.materialsSeparate), String(figures.materialsMerged)]);
      expect(row('days')[5]).toContain(String(figures.committedDaysUnified));
      expect(row('decided')[5]).toBe(String(api.processingStatistics.byIndustry.find((g) => g.key === 'restaurant')?.decided ?? 0));
      expect((await request(`${t.documentsUrl}/cases/restaurant`)).statusCode).toBe(401);
      const clerk = await request(`${t.documentsUrl}/cases/restaurant`, { headers: { authorization: `Bearer ${await t.token(t.walk.clerk())}` } });
      expect(clerk.statusCode).toBe(403);
      await clerk.body.text();
      const missing = await request(`${t.documentsUrl}/cases/moon-base`, { headers: bearer });
      expect(missing.statusCode).toBe(404);
      await missing.body.text();
    });
  });

  describe('the work team', () => {
    const person = (name: string, title: string) => ({ name, title });
    const TEAM = 'revision convenor { name title } members { departmentCode departmentNameZh member { name } liaison { name title phone } } note publishedBy';
    const PUBLISH = `mutation ($input: WorkTeamInput!) { publishWorkTeam(input: $input) { ${TEAM} } }`;
    const roster = {
      convenor: person('王明', '区政府副区长'),
      deputyConvenor: person('李华', '区政务服务局局长'),
      officeDirector: person('赵强', '区政务服务局副局长'),
      members: [
        { departmentCode: 'fire-rescue', member: person('孙伟', '区消防救援支队副支队长'), liaison: { ...person('周敏', '防火监督科科长'), phone: '010-69441119' } },
        { departmentCode: 'market-regulation', member: person('吴刚', '区市场监管局副局长'), liaison: { ...person('郑洁', '登记注册科科长'), phone: '13811112222' } },
      ],
      basedOnRevision: 0,
      note: '专班成立',
    };

    it('refuses a roster with an unknown department, a department twice or a bad phone, naming each, and writes nothing', async () => {
      const bad = {
        ...roster,
        convenor: person('王', 'x'),
        members: [...roster.members, { ...roster.members[0] }, { departmentCode: 'space-agency', member: person('钱七', '局长'), liaison: { ...person('钱八', '科长'), phone: '12345' } }],
      };
      const refused = await as(t.walk.admin(), PUBLISH, { input: bad });
      expect(problemsOf(refused).map((p) => `${p.path}:${p.code}`)).toEqual([
        'input.convenor.name:TOO_SHORT',
        'input.convenor.title:TOO_SHORT',
        'input.members.2.departmentCode:DUPLICATE',
        'input.members.3.departmentCode:UNKNOWN',
        'input.members.3.liaison.phone:INVALID_PHONE',
      ]);
      expect((await as<{ workTeam: unknown }>(t.walk.admin(), '{ workTeam { revision } }')).data!.workTeam).toBeNull();
    });

    it('publishes the roster revision after revision; staff find whom to call; the page prints it for staff only', async () => {
      const first = await as<{ publishWorkTeam: { revision: number; members: { departmentNameZh: string }[]; publishedBy: string } }>(t.walk.admin(), PUBLISH, { input: roster });
      expect(first.errors).toBeUndefined();
      expect(first.data!.publishWorkTeam).toMatchObject({ revision: 1, publishedBy: 'admin-01' });
      expectRefusal(await as(t.walk.admin(), PUBLISH, { input: { ...roster, note: '并发修改' } }), 'CONFLICT', 'input.basedOnRevision');
      const CONTACT = '{ workTeamContact(departmentCode: "fire-rescue") { departmentNameZh liaison { name phone } } }';
      const contact = await as<{ workTeamContact: { departmentNameZh: string; liaison: { name: string; phone: string } } }>(t.walk.clerk(), CONTACT);
      expect(contact.data!.workTeamContact).toEqual({ departmentNameZh: expect.stringContaining('消防'), liaison: { name: '周敏', phone: '010-69441119' } });
      expect((await as<{ workTeamContact: unknown }>(t.walk.reviewer('water'), '{ workTeamContact(departmentCode: "water") { liaison { phone } } }')).data!.workTeamContact).toBeNull();
      expectRefusal(await as(null, CONTACT), 'UNAUTHENTICATED');
      expectRefusal(await as(t.walk.applicant('91110113MA00000001'), CONTACT), 'FORBIDDEN');
      const second = await as<{ publishWorkTeam: { revision: number } }>(t.walk.admin(), PUBLISH, { input: { ...roster, officeDirector: person('钱进', '区政务服务局副局长'), basedOnRevision: 1, note: '办公室主任调整' } });
      expect(second.data!.publishWorkTeam.revision).toBe(2);

      const page = await request(`${t.documentsUrl}/work-team`, { headers: { authorization: `Bearer ${await t.token(t.walk.clerk())}` } });
      const html = await page.body.text();
      expect(page.statusCode).toBe(200);
      expect(html).toContain('data-revision="2"');
      for (const text of ['王明', '钱进', '周敏', '010-69441119', '13811112222']) expect(html).toContain(text);
      expect(html).not.toContain('赵强');
      expect((await request(`${t.documentsUrl}/work-team`)).statusCode).toBe(401);
      const applicant = await request(`${t.documentsUrl}/work-team`, { headers: { authorization: `Bearer ${await t.token(t.walk.applicant('91110113MA00000001'))}` } });
      expect(applicant.statusCode).toBe(403);
      await applicant.body.text();
    });
  });
});
