import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../shared/registry';
import { loadCatalogue } from '../subgraphs/applications/catalogue';
import { reduction, reformFigures, totals } from '../subgraphs/applications/reform-figures';

/**
 * `npm run report:reduction [-- --csv FILE]`: the reform's figures per
 * industry, computed from the repository's catalogue, as a table and a CSV
 * (default .data/reports/reduction.csv). Shanghai reports about −60 % form
 * fields, −70 % materials and −90 % time; this shows where this catalogue lands.
 */
const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;

function main() {
  const catalogue = loadCatalogue();
  const rows = catalogue.industries.map((industry) => reformFigures(catalogue, industry));
  const csvArg = process.argv.indexOf('--csv');
  const csvFile = csvArg > 0 ? process.argv[csvArg + 1] : join(REPO_ROOT, '.data', 'reports', 'reduction.csv');

  const header = ['industry', 'name', 'merged form', 'items', 'fields separate', 'fields merged', 'fields −', 'materials separate', 'materials merged', 'materials −', 'statutory days (sum)', 'committed days (unified)', 'time −'];
  const table = rows.map((r) => [
    r.industryCode,
    r.industryNameZh,
    r.mergedForm ? 'yes' : 'no',
    String(r.itemCount),
    String(r.formFieldsSeparate),
    String(r.formFieldsMerged),
    pct(reduction(r.formFieldsSeparate, r.formFieldsMerged)),
    String(r.materialsSeparate),
    String(r.materialsMerged),
    pct(reduction(r.materialsSeparate, r.materialsMerged)),
    String(r.statutoryDaysSequential),
    String(r.committedDaysUnified),
    pct(reduction(r.statutoryDaysSequential, r.committedDaysUnified)),
  ]);
  const width = (s: string) => [...s].reduce((w, c) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(c) ? 2 : 1), 0);
  const widths = header.map((h, i) => Math.max(width(h), ...table.map((row) => width(row[i]))));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
  const all = totals(rows);
  console.log(
    `\nwhole catalogue (${rows.length} industries, ${catalogue.items.length} items): form fields −${pct(all.formFields)}, materials −${pct(all.materials)}, time −${pct(all.time)}` +
      `\nShanghai reports about −60% form fields, −70% materials, −90% time.`,
  );

  const csv = [header, ...table].map((row) => row.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n');
  mkdirSync(dirname(csvFile), { recursive: true });
  writeFileSync(csvFile, `${csv}\n`);
  console.log(`CSV written to ${csvFile}`);
}

main();
