import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../../shared/registry';

/**
 * The database for development and tests. With MONGODB_URI set, that server
 * is used as it is. Otherwise an embedded FerretDB 1.24.2 (MongoDB wire
 * protocol, SQLite files under .data/) is built from the Go module proxy on
 * first use, with one patch (FERRETDB_PATCH), and started here.
 */
export type FerretDbBuild = 'id-index' | 'upstream';

/** The Go program that embeds FerretDB (scripts/ferretdb), and its files. */
const WRAPPER = join(REPO_ROOT, 'scripts', 'ferretdb');
const WRAPPER_FILES = ['main.go', 'go.mod', 'go.sum'];

/**
 * The patched build everything runs on; `upstream` (unpatched) exists only for
 * the test that shows the start check refusing it and for `bench:backends`.
 * Named by what it is built from, so a change to the wrapper or the patch builds anew.
 */
export function ferretDbBinary(build: FerretDbBuild = 'id-index'): string {
  const hash = createHash('sha256');
  for (const file of WRAPPER_FILES) hash.update(readFileSync(join(WRAPPER, file)));
  hash.update(JSON.stringify(FERRETDB_PATCH));
  return join(REPO_ROOT, '.data', 'bin', `ferretdb-1.24.2-${build}-${hash.digest('hex').slice(0, 10)}`);
}

/**
 * FerretDB 1.24.2 on SQLite looks a document up by `_id` with the expression
 * `_ferretdb_sjson->'$._id'`, but builds the `_id_` index on
 * `_ferretdb_sjson->"_id"`. SQLite uses an expression index only for the very
 * expression it was built on, so every lookup by id read the whole table
 * (EXPLAIN QUERY PLAN: SCAN instead of SEARCH … USING INDEX), and a scan cost
 * grew with the number of permits stored. The patch makes the lookup use the
 * index's own expression; both select the same value. Checked at every start
 * of a service (`ensureIndexes` in shared/db.ts).
 */
export const FERRETDB_PATCH = {
  file: 'internal/backends/sqlite/metadata/metadata.go',
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: 'IDColumn = DefaultColumn + `->"_id"`',
};

const MODULE = 'github.com/FerretDB/FerretDB';
const VERSION = 'v1.24.2';

export function buildFerretDb(build: FerretDbBuild = 'id-index'): string {
  const binary = ferretDbBinary(build);
  if (existsSync(binary)) return binary;
  console.log(`building FerretDB ${VERSION} (${build}) from the Go module proxy (first run only)…`);
  const work = join(REPO_ROOT, '.data', `ferretdb-build-${build}`);
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  const download = spawnSync('go', ['mod', 'download', '-json', `${MODULE}@${VERSION}`], { cwd: WRAPPER, env, encoding: 'utf8' });
  if (download.status !== 0) throw new Error(`could not download FerretDB (is Go installed?)\n${download.stderr}`);
  const moduleDir = (JSON.parse(download.stdout) as { Dir: string }).Dir;

  // The module cache is read-only and Go refuses to overlay files in it, so the patched module is a copy beside the wrapper.
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const source = join(work, 'ferretdb-src');
  cpSync(moduleDir, source, { recursive: true, mode: 0 });
  spawnSync('chmod', ['-R', 'u+w', source]);
  const target = join(source, FERRETDB_PATCH.file);
  const original = readFileSync(target, 'utf8');
  if (original.split(FERRETDB_PATCH.from).length !== 2) throw new Error(`FerretDB patch: ${FERRETDB_PATCH.file} no longer holds the line it changes`);
  if (build === 'id-index') writeFileSync(target, original.replace(FERRETDB_PATCH.from, FERRETDB_PATCH.to));
  for (const file of WRAPPER_FILES) cpSync(join(WRAPPER, file), join(work, file));
  appendFileSync(join(work, 'go.mod'), `\nreplace ${MODULE} => ./ferretdb-src\n`);

  mkdirSync(join(REPO_ROOT, '.data', 'bin'), { recursive: true });
  const result = spawnSync('go', ['build', '-o', binary, '.'], { cwd: work, stdio: 'inherit', env });
  if (result.status !== 0) throw new Error('could not build FerretDB (is Go installed?)');
  return binary;
}

export function waitForPort(port: number, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface RunningDatabase {
  uri: string;
  process?: ChildProcess;
  stop: () => Promise<void>;
}

export async function startDatabase(options: { port: number; dataDir: string; build?: FerretDbBuild; postgresqlUrl?: string }): Promise<RunningDatabase> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => {} };
  const binary = buildFerretDb(options.build);
  mkdirSync(options.dataDir, { recursive: true });
  const log = openSync(`${options.dataDir}.log`, 'a');
  const backend = options.postgresqlUrl ? ['--postgresql-url', options.postgresqlUrl] : [];
  const child = spawn(binary, ['--listen', `127.0.0.1:${options.port}`, '--dir', options.dataDir, ...backend], {
    stdio: ['ignore', log, log],
    env: { ...process.env, DO_NOT_TRACK: '1' },
  });
  await waitForPort(options.port);
  return {
    uri: `mongodb://127.0.0.1:${options.port}/`,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
