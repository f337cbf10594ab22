import type { Identity } from '../../shared/identity';
import { supervisionSubgraph } from '../../subgraphs/supervision/subgraph';
import { checklistOf } from '../../subgraphs/supervision/checklist';
import { inProcessSubgraph, type InProcessSubgraph } from '../support/in-process';

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
});
