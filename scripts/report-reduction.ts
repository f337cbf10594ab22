import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../shared/registry';
import { loadCatalogue } from '../subgraphs/applications/catalogue';
import { favourable, industryScenarios, reformFigures, scenarioFigures, scenarioReductions, scenarioTotals, totals, type Mechanism, type Measure, type ScenarioFigures } from '../subgraphs/applications/reform-figures';

/**
 * `npm run report:reduction [-- --csv FILE]`: the reform's figures per
 * industry, computed from the repository's catalogue, as a table and a CSV
 * (default .data/reports/reduction.csv): one row per scenario (answers that
 * select the same items are one), each reduction split into what merging,
 * parallel handling, committed limits and commitment take off, and a `*` on
 * every figure that rests on illustrative catalogue data. Then the whole
 * catalogue: every item at once (the old headline), and every industry at its
 * least and at its most favourable scenario. Shanghai reports about −60 % form
 * fields, −70 % materials and −90 % time; this shows where this catalogue lands.
 */
const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;

/**
 * Shanghai's published convenience-store case, as the bureau's analysts quote it
 * (issue 14): the figures are published, the five licences are not named in
 * what we have. Ours are the five a convenience store commonly holds.
 */
const SHANGHAI_CONVENIENCE_STORE = {
  source: 'Shanghai 一业一证 convenience store case, as quoted in issue 14',
  licences: 5,
  fields: [313, 98],
  materials: [53, 10],
  days: [95, 5],
  /** The answers selecting our five: food, tobacco, alcohol, class II devices, publications; under 300 m², so no fire check. */
  answers: { sellsTobacco: true, sellsAlcohol: true, sellsMedicalDevices: true, sellsPublications: true, areaOver300: false },
  differences: [
    'Shanghai publishes the counts, not which five licences; ours are the five a convenience store commonly holds',
    "our items' forms have fewer fields than the real application forms (we model what a form must ask, not every box)",
    "Shanghai's \"before\" counts each licence's full material list; ours counts each item's list as catalogued, so merging has less to take off",
    'Beijing has no alcohol retail licence: ours is the commerce bureau\'s alcohol filing, which Shanghai issues as a licence',
    'committed limits here are illustrative',
  ],
};
const share = (s: ScenarioFigures, measure: Measure, mechanism: Mechanism) => s.contributions.find((c) => c.measure === measure && c.mechanism === mechanism)!.share;

function main() {
  const catalogue = loadCatalogue();
  const csvArg = process.argv.indexOf('--csv');
  const csvFile = csvArg > 0 ? process.argv[csvArg + 1] : join(REPO_ROOT, '.data', 'reports', 'reduction.csv');

  const header = [
    'industry', 'name', 'answers', 'items',
    'fields separate', 'fields merged', 'fields −',
    'materials separate', 'merged', 'not held', 'with commitment', 'materials −', 'of it: merging', 'held data', 'commitment',
    'statutory days (sum)', 'statutory (parallel)', 'committed (parallel)', 'with commitment', 'time −', 'of it: parallel', 'committed limits', 'commitment',
  ];
  const table: string[][] = [];
  // Each industry's scenarios, worked out once for the table, the favourable cases and the count of one-item cases.
  const byIndustry = catalogue.industries.map((industry) => ({ industry, scenarios: industryScenarios(catalogue, industry) }));
  for (const { industry, scenarios } of byIndustry) {
    for (const s of scenarios) {
      const r = scenarioReductions(s);
      const mark = (value: string, ...bases: string[]) => (bases.some((b) => s.illustrative.includes(b as never)) ? `${value}*` : value);
      const scenarioMark = s.illustrative.includes('SCENARIOS') ? '*' : '';
      table.push([
        s.bundle ? industry.code : `${industry.code} (1 item)`,
        industry.nameZh,
        (Object.entries(s.answers).map(([k, v]) => `${k}=${v}`).join(' ') || '—') + scenarioMark,
        s.itemCodes.join(' '),
        mark(String(s.formFieldsSeparate), 'ELEMENTS'),
        mark(String(s.formFieldsMerged), 'ELEMENTS', 'MERGED_FORM'),
        mark(pct(r.formFields), 'ELEMENTS', 'MERGED_FORM'),
        mark(String(s.materialsSeparate), 'MATERIALS'),
        mark(String(s.materialsMerged), 'MATERIALS', 'MERGED_FORM', 'SHARED_DOCUMENTS'),
        mark(String(s.materialsWithoutHeld), 'MATERIALS', 'MERGED_FORM', 'SHARED_DOCUMENTS'),
        mark(String(s.materialsWithCommitment), 'MATERIALS', 'MERGED_FORM', 'SHARED_DOCUMENTS', 'COMMITMENT'),
        mark(pct(r.materials), 'MATERIALS', 'MERGED_FORM', 'SHARED_DOCUMENTS', 'COMMITMENT'),
        pct(share(s, 'MATERIALS', 'MERGING')),
        pct(share(s, 'MATERIALS', 'HELD_DATA')),
        pct(share(s, 'MATERIALS', 'COMMITMENT')),
        mark(String(s.statutoryDaysSequential), 'STATUTORY_DAYS'),
        mark(String(s.statutoryDaysParallel), 'STATUTORY_DAYS'),
        mark(String(s.committedDaysParallel), 'COMMITTED_DAYS'),
        mark(String(s.daysWithCommitment), 'COMMITTED_DAYS', 'COMMITMENT'),
        mark(pct(r.time), 'STATUTORY_DAYS', 'COMMITTED_DAYS', 'COMMITMENT'),
        pct(share(s, 'DAYS', 'PARALLEL_HANDLING')),
        pct(share(s, 'DAYS', 'COMMITTED_LIMITS')),
        pct(share(s, 'DAYS', 'COMMITMENT')),
      ]);
    }
  }
  const width = (s: string) => [...s].reduce((w, c) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(c) ? 2 : 1), 0);
  const widths = header.map((h, i) => Math.max(width(h), ...table.map((row) => width(row[i]))));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
  console.log('\n* rests on illustrative catalogue data (not official): the answers column marks illustrative questions or item bundles.');

  const every = totals(catalogue.industries.map((industry) => reformFigures(catalogue, industry)));
  const ranges = byIndustry.map(({ scenarios }) => favourable(scenarios));
  const least = scenarioTotals(ranges, 'least');
  const most = scenarioTotals(ranges, 'most');
  const singles = byIndustry.flatMap(({ industry, scenarios }) => scenarios.filter((s) => !s.bundle).map(() => ({ industry: industry.code })));
  const committedIllustrative = catalogue.items.filter((i) => i.illustrative?.includes('committedDays')).length;
  console.log(
    `\nwhole catalogue (${catalogue.industries.length} industries, ${catalogue.items.length} items): form fields −${pct(every.formFields)}, materials −${pct(every.materials)}, time −${pct(every.time)}` +
      ` (every item at once; time against the unified committed limit)` +
      `\n  least favourable scenario per industry: form fields −${pct(least.formFields)}, materials −${pct(least.materials)}, time −${pct(least.time)}` +
      `\n  most favourable scenario per industry:  form fields −${pct(most.formFields)}, materials −${pct(most.materials)}, time −${pct(most.time)}` +
      `\n  (materials without what the government holds, fetched where a district connects the source;` +
      `\n   materials and time with commitment on every item that allows it, decided at once; committed limits are illustrative on ${committedIllustrative} of ${catalogue.items.length} items)` +
      `\n  industries whose least and most favourable time differ: ${ranges.filter((r) => r.least.time !== r.most.time).length}` +
      `\n  answer sets selecting one item only (no 一业一证 case; applied for directly, left out of least and most): ${singles.length} scenarios in ${new Set(singles.map((s) => s.industry)).size} industries` +
      `\nShanghai reports about −60% form fields, −70% materials, −90% time.`,
  );

  // The convenience store beside Shanghai's published case, and why they differ.
  const shanghai = SHANGHAI_CONVENIENCE_STORE;
  const ours = scenarioFigures(catalogue, catalogue.industry('convenience-store')!, shanghai.answers);
  console.log(
    `\nconvenience store beside Shanghai's published case (${shanghai.source}):` +
      `\n  Shanghai: ${shanghai.licences} licences; form fields ${shanghai.fields[0]} → ${shanghai.fields[1]} (−${pct(1 - shanghai.fields[1] / shanghai.fields[0])}), materials ${shanghai.materials[0]} → ${shanghai.materials[1]} (−${pct(1 - shanghai.materials[1] / shanghai.materials[0])}), days ${shanghai.days[0]} → ${shanghai.days[1]} (−${pct(1 - shanghai.days[1] / shanghai.days[0])})` +
      `\n  here:     ${ours.itemCodes.length} items (${ours.itemCodes.join(', ')}); form fields ${ours.formFieldsSeparate} → ${ours.formFieldsMerged}, materials ${ours.materialsSeparate} → ${ours.materialsWithCommitment}, days ${ours.statutoryDaysSequential} → ${ours.daysWithCommitment}` +
      `\n  why they differ: ${shanghai.differences.join('; ')}.`,
  );

  const csv = [header, ...table].map((row) => row.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n');
  mkdirSync(dirname(csvFile), { recursive: true });
  writeFileSync(csvFile, `${csv}\n`);
  console.log(`CSV written to ${csvFile}`);
}

main();
