import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../shared/registry';
import { loadCatalogue } from '../../subgraphs/applications/catalogue';
import { favourable, industryScenarios, scenarioReductions } from '../../subgraphs/applications/reform-figures';

/**
 * The reform's figures recomputed a second way, from the raw catalogue files
 * (industries.json and every department's items.json) with none of the
 * platform's catalogue code: every answer set, the items it selects, and each
 * figure counted with plain sets and sums. Every scenario of every industry
 * must agree number for number.
 */
type RawMaterial = { code: string; commitmentMayOmit: boolean; replacedByMergedForm?: boolean; heldBy?: string; documents?: { code: string }[] };
type RawItem = { code: string; decidedAfter?: string[]; elements: { key: string; section?: string; type: string }[]; materials: RawMaterial[]; statutoryDays: number; committedDays: number; commitmentAllowed: boolean };
type RawIndustry = { code: string; mergedForm: boolean; questions: { key: string; type: string; options?: { value: string }[] }[]; items: { itemCode: string; when?: Record<string, unknown>; premisesPart?: { key: string } }[] };

const industries = JSON.parse(readFileSync(join(REPO_ROOT, 'subgraphs/applications/catalogue/industries.json'), 'utf8')) as RawIndustry[];
const items = new Map<string, RawItem>();
for (const folder of readdirSync(join(REPO_ROOT, 'subgraphs'))) {
  const file = join(REPO_ROOT, 'subgraphs', folder, 'items.json');
  if (existsSync(file)) for (const item of JSON.parse(readFileSync(file, 'utf8')) as RawItem[]) items.set(item.code, item);
}

function everyAnswerSet(questions: RawIndustry['questions']): Record<string, unknown>[] {
  if (!questions.length) return [{}];
  const [first, ...rest] = questions;
  const values: unknown[] = first.type === 'BOOLEAN' ? [true, false] : first.options!.map((o) => o.value);
  const tails = everyAnswerSet(rest);
  return values.flatMap((value) => tails.map((tail) => ({ [first.key]: value, ...tail })));
}

function recompute(industry: RawIndustry, answers: Record<string, unknown>) {
  const entries = industry.items.filter((entry) => Object.keys(entry.when ?? {}).every((key) => entry.when![key] === answers[key]));
  const chosen = entries.map((entry) => items.get(entry.itemCode)!);
  const total = (f: (i: RawItem) => number) => chosen.map(f).reduce((a, b) => a + b, 0);
  // Longest chain through the order items must be decided in, walked from each item back to the items it waits for.
  const max = (f: (i: RawItem) => number) => {
    const chain = (i: RawItem): number => f(i) + chosen.filter((other) => i.decidedAfter?.includes(other.code)).map(chain).reduce((a, b) => (b > a ? b : a), 0);
    return chosen.map(chain).reduce((a, b) => (b > a ? b : a), 0);
  };
  // An item covering part of the premises asks its premises areas for that part: a field of their own.
  const keys = new Set(
    entries.flatMap((entry) => items.get(entry.itemCode)!.elements.map((e) => (entry.premisesPart && e.section === 'premises' && e.type === 'AREA' ? `${entry.premisesPart.key}/${e.key}` : e.key))),
  );
  const FORM = '(the one form)';
  // What a material is handed in as: the one form, the shared documents serving it, or itself.
  const handedInAs = (m: RawMaterial): string[] => (industry.mergedForm && m.replacedByMergedForm ? [FORM] : m.documents?.length ? m.documents.map((d) => `document:${d.code}`) : [m.code]);
  const codes = new Set(chosen.flatMap((i) => i.materials.flatMap(handedInAs)));
  const held = new Set(chosen.flatMap((i) => i.materials.filter((m) => m.heldBy).flatMap(handedInAs)));
  const toProvide = [...codes].filter((code) => !held.has(code));
  const omittable = toProvide.filter((code) => {
    if (code === FORM) return false;
    const uses = chosen.flatMap((i) => i.materials.filter((m) => handedInAs(m).includes(code)).map((m) => ({ item: i, m })));
    return uses.every(({ item, m }) => item.commitmentAllowed && m.commitmentMayOmit);
  });
  return {
    itemCodes: chosen.map((i) => i.code),
    bundle: chosen.length > 1,
    formFieldsSeparate: total((i) => i.elements.length),
    formFieldsMerged: industry.mergedForm ? keys.size : total((i) => i.elements.length),
    materialsSeparate: total((i) => i.materials.length),
    materialsMerged: codes.size,
    materialsWithoutHeld: toProvide.length,
    materialsWithCommitment: toProvide.length - omittable.length,
    statutoryDaysSequential: total((i) => i.statutoryDays),
    statutoryDaysParallel: max((i) => i.statutoryDays),
    committedDaysSequential: total((i) => i.committedDays),
    committedDaysParallel: max((i) => i.committedDays),
    daysWithCommitment: max((i) => (i.commitmentAllowed ? 0 : i.committedDays)),
  };
}

describe('the reform figures, recomputed from the raw catalogue files', () => {
  const catalogue = loadCatalogue();

  it('agree for every answer set of every industry', () => {
    let compared = 0;
    for (const industry of industries) {
      const expected = new Map<string, ReturnType<typeof recompute>>();
      for (const answers of everyAnswerSet(industry.questions)) {
        const figures = recompute(industry, answers);
        const key = figures.itemCodes.join(',');
        if (!expected.has(key)) expected.set(key, figures);
      }
      const actual = industryScenarios(catalogue, catalogue.industry(industry.code)!);
      expect({ industry: industry.code, scenarios: actual.length }).toEqual({ industry: industry.code, scenarios: expected.size });
      for (const scenario of actual) {
        const { answers: _a, contributions: _c, illustrative: _i, ...figures } = scenario;
        expect({ industry: industry.code, ...figures }).toEqual({ industry: industry.code, ...expected.get(scenario.itemCodes.join(','))! });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(industries.length);
  });

  it('take the least and most favourable case among the bundles: an answer set selecting one item is no 一业一证 case', () => {
    let industriesWithASingleItemCase = 0;
    for (const industry of industries) {
      const recomputed = everyAnswerSet(industry.questions).map((answers) => recompute(industry, answers));
      const bundles = recomputed.filter((f) => f.itemCodes.length > 1);
      if (bundles.length < recomputed.length) industriesWithASingleItemCase++;
      // Least favourable time among the bundles, recomputed: the smallest (statutory − with commitment) / statutory.
      const timeOf = (f: (typeof recomputed)[number]) => (f.statutoryDaysSequential - f.daysWithCommitment) / f.statutoryDaysSequential;
      const leastTime = Math.min(...bundles.map(timeOf));
      const picked = favourable(industryScenarios(catalogue, catalogue.industry(industry.code)!));
      for (const which of ['least', 'most'] as const) for (const measure of ['formFields', 'materials', 'time'] as const) expect(picked[which][measure].itemCodes.length).toBeGreaterThan(1);
      expect(scenarioReductions(picked.least.time).time).toBeCloseTo(leastTime, 2);
    }
    // The catalogue still has such cases (a travel agency without a sign): the figures leave them out rather than hide them.
    expect(industriesWithASingleItemCase).toBeGreaterThan(0);
  });

  it('split each reduction into the mechanisms\' parts, which add up to it', () => {
    for (const industry of catalogue.industries) {
      for (const s of industryScenarios(catalogue, industry)) {
        const parts = (measure: string) => s.contributions.filter((c) => c.measure === measure).reduce((sum, c) => sum + c.amount, 0);
        expect(parts('FORM_FIELDS')).toBe(s.formFieldsSeparate - s.formFieldsMerged);
        expect(parts('MATERIALS')).toBe(s.materialsSeparate - s.materialsWithCommitment);
        expect(parts('DAYS')).toBe(s.statutoryDaysSequential - s.daysWithCommitment);
        const r = scenarioReductions(s);
        expect(r.time).toBeCloseTo(s.statutoryDaysSequential ? (s.statutoryDaysSequential - s.daysWithCommitment) / s.statutoryDaysSequential : 0, 2);
      }
    }
  });

  it('mark every figure resting on illustrative data: committed limits are illustrative on every item, so every time figure is marked', () => {
    const rawItems = [...items.values()] as (RawItem & { illustrative?: string[] })[];
    const allCommittedIllustrative = rawItems.every((i) => i.illustrative?.includes('committedDays'));
    for (const industry of catalogue.industries) {
      for (const s of industryScenarios(catalogue, industry)) {
        if (allCommittedIllustrative && s.itemCodes.length) expect(s.illustrative).toContain('COMMITTED_DAYS');
        const scenarioIllustrative = Boolean(industry.illustrative?.some((f) => f === 'questions' || f === 'items'));
        expect(s.illustrative.includes('SCENARIOS')).toBe(scenarioIllustrative);
      }
    }
  });
});
