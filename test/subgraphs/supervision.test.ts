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
});
