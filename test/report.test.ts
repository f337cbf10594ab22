import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared/registry';
import { loadCatalogue, repositoryCatalogueData } from '../subgraphs/applications/catalogue';
import { favourable, industryScenarios, scenarioTotals } from '../subgraphs/applications/reform-figures';

describe('npm run report:reduction', () => {
  it('prints a row per scenario of each industry and the totals, and writes the same rows as CSV', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    try {
      const csvFile = join(dir, 'reduction.csv');
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/report-reduction.ts', '--csv', csvFile], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(run.status).toBe(0);
      const industries = repositoryCatalogueData().industries;
      for (const industry of industries) expect(run.stdout).toContain(industry.code);
      expect(run.stdout).toMatch(/whole catalogue \(\d+ industries, \d+ items\): form fields −\d+%, materials −\d+%, time −\d+%/);
      const catalogue = loadCatalogue();
      const scenarios = catalogue.industries.reduce((n, industry) => n + industryScenarios(catalogue, industry).length, 0);
      const lines = readFileSync(csvFile, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(scenarios + 1);
      expect(lines[0]).toContain('fields merged');
      expect(lines[0]).toContain('of it: parallel');
      // The least and the most favourable totals, as the figures module computes them.
      const pct = (f: number) => `${Math.round(f * 100)}%`;
      for (const which of ['least', 'most'] as const) {
        const t = scenarioTotals(catalogue.industries.map((industry) => favourable(industryScenarios(catalogue, industry))), which);
        expect(run.stdout).toMatch(new RegExp(`${which} favourable scenario per industry: +form fields −${pct(t.formFields)}, materials −${pct(t.materials)}, time −${pct(t.time)}`));
      }
      expect(run.stdout).toContain('* rests on illustrative catalogue data');
      // Answer sets selecting one item are counted and marked, not hidden.
      const singles = catalogue.industries.flatMap((industry) => industryScenarios(catalogue, industry).filter((s) => s.itemCodes.length === 1).map(() => industry.code));
      expect(run.stdout).toContain(`answer sets selecting one item only (no 一业一证 case; applied for directly, left out of least and most): ${singles.length} scenarios in ${new Set(singles).size} industries`);
      expect(lines.filter((line) => line.includes('(1 item)'))).toHaveLength(singles.length);
      // The convenience store beside Shanghai's case: its published figures, and ours from the catalogue.
      // Ours: the five licences a store under 300 m² holds (no fire check), the tobacco licence among them.
      const store = industryScenarios(catalogue, catalogue.industry('convenience-store')!).find((s) => s.itemCodes.length === 5 && !s.itemCodes.includes('FR-FIRE-CHECK'))!;
      expect(store.itemCodes).toContain('TB-TOBACCO-RETAIL');
      expect(run.stdout).toContain('Shanghai: 5 licences; form fields 313 → 98');
      expect(run.stdout).toContain(`here:     ${store.itemCodes.length} items (${store.itemCodes.join(', ')}); form fields ${store.formFieldsSeparate} → ${store.formFieldsMerged}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
