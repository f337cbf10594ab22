import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared/registry';

// Everything generated from the SDL (supergraph, subgraph SDL, resolver types) is checked in; run `npm run generate` if this fails.
// GraphQL Code Generator's CLI loads ES modules, so it runs in its own node process, as `npm run generate -- --check` would.
const check = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });

describe('generated files', () => {
  it('are what `npm run generate` makes from the current SDL', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\d+ generated files are current/);
  }, 120000);

  it('are reported stale when the SDL and the checked-in types disagree', () => {
    const file = join(REPO_ROOT, 'shared/department/__generated__/resolver-types.ts');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, original.replace('export type TemplateReviewResolvers', 'export type TemplateReviewResolversOld'));
      const run = check();
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('shared/department/__generated__/resolver-types.ts');
    } finally {
      writeFileSync(file, original);
    }
  }, 120000);
});
