import type { Answers, IndustryDefinition, ItemDefinition } from '../../shared/catalogue';
import { applicableItems, buildForm, isBundle, mergeMaterials, omittedByCommitment, type Catalogue } from './catalogue';

/**
 * The reform's effect for one industry, computed from the catalogue (never
 * typed in). For every answer set an applicant can give (each one selects the
 * items that apply), and, kept for comparison, for every item at once:
 * - form fields: the one merged form vs. the sum of the items' own forms;
 * - materials: the merged list (the one form replacing the items' own
 *   application forms) vs. the sum of the items' lists, then without what the
 *   government already holds (fetched from its source, held-sources.ts), then
 *   without what a commitment (告知承诺) lets the applicant omit;
 * - time, in working days, like for like: the statutory limits one after
 *   another, then in parallel where the order items must be decided in allows
 *   (the critical path), then the committed limits so, then with commitment
 *   approvals decided at once.
 * Each reduction is split into what each mechanism takes off, in that order,
 * and every figure resting on illustrative catalogue data says so.
 */
export interface ScenarioFigures {
  answers: Answers;
  itemCodes: string[];
  /** A 一业一证 case (`isBundle`); a one-item answer set is left out of the industry's least and most favourable cases. */
  bundle: boolean;
  formFieldsSeparate: number;
  formFieldsMerged: number;
  materialsSeparate: number;
  materialsMerged: number;
  /** Merged, less what the government already holds. */
  materialsWithoutHeld: number;
  /** Of those, less what the applicant may omit by committing on every item that allows it. */
  materialsWithCommitment: number;
  statutoryDaysSequential: number;
  statutoryDaysParallel: number;
  committedDaysSequential: number;
  committedDaysParallel: number;
  /** Committed limits in parallel, an item approved on commitment counting 0 days (decided at once). */
  daysWithCommitment: number;
  contributions: Contribution[];
  illustrative: IllustrativeBasis[];
}

export type Measure = 'FORM_FIELDS' | 'MATERIALS' | 'DAYS';
export type Mechanism = 'MERGING' | 'HELD_DATA' | 'COMMITMENT' | 'PARALLEL_HANDLING' | 'COMMITTED_LIMITS';
export type IllustrativeBasis = 'SCENARIOS' | 'MERGED_FORM' | 'ELEMENTS' | 'MATERIALS' | 'SHARED_DOCUMENTS' | 'COMMITMENT' | 'STATUTORY_DAYS' | 'COMMITTED_DAYS';

/** What one mechanism takes off one measure: in its unit, and as a share of the figure before the reform. */
export interface Contribution {
  measure: Measure;
  mechanism: Mechanism;
  amount: number;
  share: number;
}

/** The figures for every item at once (the old headline: the most favourable case, which may be no answer set at all). */
export interface ReformFigures {
  industryCode: string;
  industryNameZh: string;
  industryNameEn: string;
  mergedForm: boolean;
  itemCount: number;
  formFieldsSeparate: number;
  formFieldsMerged: number;
  materialsSeparate: number;
  materialsMerged: number;
  statutoryDaysSequential: number;
  committedDaysSequential: number;
  committedDaysUnified: number;
}

export function reformFigures(catalogue: Catalogue, industry: IndustryDefinition): ReformFigures {
  const every = scenarioFigures(catalogue, industry, null);
  return {
    industryCode: industry.code,
    industryNameZh: industry.nameZh,
    industryNameEn: industry.nameEn,
    mergedForm: industry.mergedForm,
    itemCount: every.itemCodes.length,
    formFieldsSeparate: every.formFieldsSeparate,
    formFieldsMerged: every.formFieldsMerged,
    materialsSeparate: every.materialsSeparate,
    materialsMerged: every.materialsMerged,
    statutoryDaysSequential: every.statutoryDaysSequential,
    committedDaysSequential: every.committedDaysSequential,
    // The old headline's "after": the longest single item, as if nothing waited for anything.
    committedDaysUnified: Math.max(0, ...applicableItems(catalogue, industry, null).map((i) => i.committedDays)),
  };
}

/** Every answer set the industry's questions allow: each boolean both ways, each option of each choice. */
export function answerSets(industry: IndustryDefinition): Answers[] {
  return industry.questions.reduce<Answers[]>(
    (sets, question) => {
      const values: (string | boolean)[] = question.type === 'BOOLEAN' ? [true, false] : (question.options ?? []).map((o) => o.value);
      return sets.flatMap((set) => values.map((value) => ({ ...set, [question.key]: value })));
    },
    [{}],
  );
}

const sum = (items: ItemDefinition[], pick: (i: ItemDefinition) => number) => items.reduce((s, i) => s + pick(i), 0);

/**
 * The items in parallel where their order allows: the critical path, each item
 * starting when the items it waits for (`decidedAfter`, among these) are decided.
 */
export function criticalPath(items: ItemDefinition[], days: (i: ItemDefinition) => number): number {
  const byCode = new Map(items.map((i) => [i.code, i]));
  const finish = new Map<string, number>();
  const finishOf = (item: ItemDefinition): number => {
    if (!finish.has(item.code)) {
      const start = Math.max(0, ...(item.decidedAfter ?? []).flatMap((code) => (byCode.has(code) ? [finishOf(byCode.get(code)!)] : [])));
      finish.set(item.code, start + days(item));
    }
    return finish.get(item.code)!;
  };
  return Math.max(0, ...items.map(finishOf));
}

/** The figures for one answer set (null: every item at once), with each mechanism's part and what rests on illustrative data. */
export function scenarioFigures(catalogue: Catalogue, industry: IndustryDefinition, answers: Answers | null): ScenarioFigures {
  const items = applicableItems(catalogue, industry, answers);
  const mergedList = mergeMaterials(items, industry.mergedForm);
  const toProvide = mergedList.filter((m) => !m.heldBy);
  // Omitted under commitment, the applicant committing on every item that allows it.
  const allowing = items.filter((i) => i.commitmentAllowed).map((i) => i.code);
  const omitted = toProvide.filter((m) => omittedByCommitment(m, items, allowing)).length;
  const figures = {
    answers: answers ?? {},
    itemCodes: items.map((i) => i.code),
    bundle: isBundle(items),
    formFieldsSeparate: sum(items, (i) => i.elements.length),
    formFieldsMerged: buildForm(industry, items).reduce((s, section) => s + section.fields.length, 0),
    materialsSeparate: sum(items, (i) => i.materials.length),
    materialsMerged: mergedList.length,
    materialsWithoutHeld: toProvide.length,
    materialsWithCommitment: toProvide.length - omitted,
    statutoryDaysSequential: sum(items, (i) => i.statutoryDays),
    statutoryDaysParallel: criticalPath(items, (i) => i.statutoryDays),
    committedDaysSequential: sum(items, (i) => i.committedDays),
    committedDaysParallel: criticalPath(items, (i) => i.committedDays),
    daysWithCommitment: criticalPath(items, (i) => (i.commitmentAllowed ? 0 : i.committedDays)),
  };
  const part = (measure: Measure, mechanism: Mechanism, before: number, from: number, to: number): Contribution => ({
    measure,
    mechanism,
    amount: from - to,
    share: before === 0 ? 0 : Math.round(((from - to) / before) * 1000) / 1000,
  });
  const f = figures;
  const contributions = [
    part('FORM_FIELDS', 'MERGING', f.formFieldsSeparate, f.formFieldsSeparate, f.formFieldsMerged),
    part('MATERIALS', 'MERGING', f.materialsSeparate, f.materialsSeparate, f.materialsMerged),
    part('MATERIALS', 'HELD_DATA', f.materialsSeparate, f.materialsMerged, f.materialsWithoutHeld),
    part('MATERIALS', 'COMMITMENT', f.materialsSeparate, f.materialsWithoutHeld, f.materialsWithCommitment),
    part('DAYS', 'PARALLEL_HANDLING', f.statutoryDaysSequential, f.statutoryDaysSequential, f.statutoryDaysParallel),
    part('DAYS', 'COMMITTED_LIMITS', f.statutoryDaysSequential, f.statutoryDaysParallel, f.committedDaysParallel),
    part('DAYS', 'COMMITMENT', f.statutoryDaysSequential, f.committedDaysParallel, f.daysWithCommitment),
  ];
  const itemSays = (field: string) => items.some((i) => i.illustrative?.includes(field));
  const industrySays = (field: string) => Boolean(industry.illustrative?.includes(field));
  const illustrative: IllustrativeBasis[] = [
    ...(industrySays('questions') || industrySays('items') ? (['SCENARIOS'] as const) : []),
    ...(industrySays('mergedForm') ? (['MERGED_FORM'] as const) : []),
    ...(itemSays('elements') ? (['ELEMENTS'] as const) : []),
    ...(itemSays('materials') ? (['MATERIALS'] as const) : []),
    // Which materials one shared document serves is an illustrative reading (documents.json).
    ...(items.some((i) => i.materials.some((m) => m.documents?.length)) ? (['SHARED_DOCUMENTS'] as const) : []),
    ...(itemSays('commitmentAllowed') ? (['COMMITMENT'] as const) : []),
    ...(itemSays('statutoryDays') ? (['STATUTORY_DAYS'] as const) : []),
    ...(itemSays('committedDays') ? (['COMMITTED_DAYS'] as const) : []),
  ];
  return { ...figures, contributions, illustrative };
}

/** Every answer set's figures; answer sets selecting the same items are one scenario (the first answers stand for it). */
export function industryScenarios(catalogue: Catalogue, industry: IndustryDefinition): ScenarioFigures[] {
  const seen = new Set<string>();
  return answerSets(industry)
    .map((answers) => scenarioFigures(catalogue, industry, answers))
    .filter((s) => {
      const key = s.itemCodes.join(',');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Reduction as a fraction (0.6 = 60 % fewer); 0 when there was nothing to reduce. */
export function reduction(before: number, after: number): number {
  return before === 0 ? 0 : Math.round(((before - after) / before) * 1000) / 1000;
}

/** The three headline reductions of one scenario: fields merged, materials with commitment, days with commitment against statutory in sequence. */
export function scenarioReductions(s: ScenarioFigures) {
  return {
    formFields: reduction(s.formFieldsSeparate, s.formFieldsMerged),
    materials: reduction(s.materialsSeparate, s.materialsWithCommitment),
    time: reduction(s.statutoryDaysSequential, s.daysWithCommitment),
  };
}

/** Each measure's least and most favourable scenario (each measure on its own), among the bundles when there are any. */
export function favourable(scenarios: ScenarioFigures[]) {
  const bundles = scenarios.filter((s) => s.bundle);
  const among = bundles.length ? bundles : scenarios;
  const by = (key: 'formFields' | 'materials' | 'time', pick: (a: number, b: number) => boolean) =>
    among.reduce((best, s) => (pick(scenarioReductions(s)[key], scenarioReductions(best)[key]) ? s : best));
  return {
    least: { formFields: by('formFields', (a, b) => a < b), materials: by('materials', (a, b) => a < b), time: by('time', (a, b) => a < b) },
    most: { formFields: by('formFields', (a, b) => a > b), materials: by('materials', (a, b) => a > b), time: by('time', (a, b) => a > b) },
  };
}

/** Totals over industries: the figures an analyst quotes for the whole catalogue (every item at once, as before). */
export function totals(rows: ReformFigures[]) {
  const total = (key: keyof ReformFigures) => rows.reduce((s, r) => s + (r[key] as number), 0);
  return {
    formFields: reduction(total('formFieldsSeparate'), total('formFieldsMerged')),
    materials: reduction(total('materialsSeparate'), total('materialsMerged')),
    time: reduction(total('statutoryDaysSequential'), total('committedDaysUnified')),
  };
}

/**
 * Whole-catalogue reductions when every industry is at its least (or most)
 * favourable scenario for that measure: the befores and afters summed, then compared.
 */
export function scenarioTotals(ranges: ReturnType<typeof favourable>[], which: 'least' | 'most') {
  const picked = ranges.map((range) => range[which]);
  const total = (rows: ScenarioFigures[], before: keyof ScenarioFigures, after: keyof ScenarioFigures) =>
    reduction(rows.reduce((s, r) => s + (r[before] as number), 0), rows.reduce((s, r) => s + (r[after] as number), 0));
  return {
    formFields: total(picked.map((p) => p.formFields), 'formFieldsSeparate', 'formFieldsMerged'),
    materials: total(picked.map((p) => p.materials), 'materialsSeparate', 'materialsWithCommitment'),
    time: total(picked.map((p) => p.time), 'statutoryDaysSequential', 'daysWithCommitment'),
  };
}
