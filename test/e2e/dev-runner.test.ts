import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { Identity } from '../../shared/identity';
import { REPO_ROOT, services } from '../../shared/registry';
import { DEV_SECRETS_FILE, devToken, freePorts } from '../support/launcher';
import { issuedPermit, publishTestIndustries, TWO_ITEMS } from '../support/paths';
import { Walkthrough } from '../support/walkthrough';

/**
 * `npm run dev`: the whole platform in one process, every subgraph on its own
 * path. An application walks from submission to a scanned permit through
 * it, events included, and the process reports its memory.
 */
describe('the single-process development runner', () => {
  let child: ChildProcess;
  let output = '';
  let gatewayUrl: string;
  let documentsUrl: string;

  beforeAll(async () => {
    const [gateway, documents, subgraphs] = await freePorts(3);
    gatewayUrl = `http://127.0.0.1:${gateway}`;
    documentsUrl = `http://127.0.0.1:${documents}`;
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DB_PREFIX: `d${randomBytes(4).toString('hex')}_`,
        GATEWAY_PORT: String(gateway),
        DOCUMENTS_PORT: String(documents),
        SUBGRAPHS_PORT: String(subgraphs),
        OUTBOX_INTERVAL_MS: '200',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 120_000;
    while (!/is up in one process/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the development runner did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 150_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
  });

  it('runs the whole path in one process: submit, decide in two departments, issue, scan', async () => {
    const { jwt } = JSON.parse(readFileSync(DEV_SECRETS_FILE, 'utf8')) as { jwt: string };
    const walk = new Walkthrough(gatewayUrl, (identity: Identity) => devToken(jwt, identity, '10m'));
    await publishTestIndustries(walk);
    const { permit } = await issuedPermit(walk, TWO_ITEMS.code);
    const scanned = await walk.scan(permit.code);
    expect(scanned?.status).toBe('VALID');
    expect(scanned?.items.map((i) => i.licence?.status)).toEqual(['VALID', 'VALID']);
    const page = await request(`${documentsUrl}/scan/${permit.code}`);
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toContain(permit.code);
    const ready = await request(`${gatewayUrl}/readyz`);
    expect(ready.statusCode).toBe(200);
    // Every subgraph of the registry, in the one process.
    expect(Object.keys(((await ready.body.json()) as { subgraphs: Record<string, string> }).subgraphs).sort()).toEqual(services().map((s) => s.name).sort());
    expect(output).toMatch(new RegExp(`${services().length} subgraphs, \\d+ MiB resident`));
  }, 120_000);
});
