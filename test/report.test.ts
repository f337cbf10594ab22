import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared/registry';
import { repositoryCatalogueData } from '../subgraphs/applications/catalogue';

describe('npm run report:reduction', () => {
  it('prints a row per industry and the totals, and writes the same rows as CSV', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    try {
      const csvFile = join(dir, 'reduction.csv');
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/report-reduction.ts', '--csv', csvFile], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(run.status).toBe(0);
      const industries = repositoryCatalogueData().industries;
      for (const industry of industries) expect(run.stdout).toContain(industry.code);
      expect(run.stdout).toMatch(/whole catalogue \(\d+ industries, \d+ items\): form fields −\d+%, materials −\d+%, time −\d+%/);
      const lines = readFileSync(csvFile, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(industries.length + 1);
      expect(lines[0]).toContain('fields merged');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
