import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { request } from 'undici';
import { REPO_ROOT, services } from '../../shared/registry';
import { startIsolatedPlatform, type Platform } from '../support/launcher';

/**
 * No container engine here, so the image is checked for what decides whether
 * it runs: its file set. Exactly what the Dockerfile copies (plus the
 * installed dependencies) is put in a directory of its own, and every
 * service is started from there with the command the compose file gives it;
 * a file the image lacks would stop a service before it is healthy.
 */
const copies = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')
  .split('\n')
  .filter((line) => /^COPY\s/.test(line))
  .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { command: string[] }> };

describe('the image\'s file set', () => {
  const imageRoot = join(REPO_ROOT, '.data', `image-${process.pid}`);
  let platform: Platform | undefined;

  beforeAll(() => {
    rmSync(imageRoot, { recursive: true, force: true });
    mkdirSync(imageRoot, { recursive: true });
    for (const source of copies) cpSync(join(REPO_ROOT, source), join(imageRoot, source), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(imageRoot, 'node_modules'));
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(imageRoot, { recursive: true, force: true });
  });

  it('is what the compose file runs: each service\'s command is its entry point in the registry', () => {
    for (const service of services()) {
      expect(compose.services[service.name].command).toEqual([service.entry, ...service.args].map((p) => relative(REPO_ROOT, p)));
    }
    expect(compose.services.gateway.command).toEqual(['gateway/main.ts']);
    expect(compose.services.documents.command).toEqual(['documents/main.ts']);
  });

  it('starts every service, and the gateway and the documents service are ready', async () => {
    expect(copies).toEqual(expect.arrayContaining(['package.json', 'shared', 'subgraphs', 'gateway', 'documents', 'schema']));
    platform = await startIsolatedPlatform(process.env.MONGODB_URI!, 'image', {}, { root: imageRoot });
    // Each process runs the image's copy, not this repository's.
    for (const proc of platform.processes.values()) expect(proc.child.spawnargs.some((a) => a.startsWith(imageRoot))).toBe(true);
    for (const url of [`${platform.gatewayUrl}/readyz`, `${platform.documentsUrl}/readyz`]) {
      const response = await request(url);
      expect({ url, status: response.statusCode, body: await response.body.json() }).toMatchObject({ url, status: 200 });
    }
  }, 240_000);
});
