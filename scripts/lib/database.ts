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
 * first use, with the patches of FERRETDB_PATCHES, and started here.
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
  hash.update(JSON.stringify(FERRETDB_PATCHES));
  return join(REPO_ROOT, '.data', 'bin', `ferretdb-1.24.2-${build}-${hash.digest('hex').slice(0, 10)}`);
}

/**
 * The patches to FerretDB 1.24.2 on SQLite, each checked at every start of a
 * service (`ensureIndexes` in shared/db.ts):
 *
 * 1. It looks a document up by `_id` with the expression
 *    `_ferretdb_sjson->'$._id'`, but builds the `_id_` index on
 *    `_ferretdb_sjson->"_id"`. SQLite uses an expression index only for the very
 *    expression it was built on, so every lookup by id read the whole table
 *    (EXPLAIN QUERY PLAN: SCAN instead of SEARCH … USING INDEX), and a scan cost
 *    grew with the number of permits stored. The lookup now uses the index's
 *    own expression; both select the same value.
 * 2. It hands SQLite only `{ _id: <value> }`; `{ _id: { $in: [...] } }` read the
 *    whole table. It now becomes `WHERE <_id> IN (…)`, answered from the index,
 *    so a store reads a record and its facts in one query instead of one each
 *    (FerretDB still applies the whole filter to what SQLite returns).
 */
export const FERRETDB_PATCHES: readonly FerretDbPatch[] = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: 'IDColumn = DefaultColumn + `->"_id"`',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    from: '\t\tcase string, types.ObjectID:\n\t\t\twhereClause',
    to: '\t\tcase *types.Document:\n\t\t\twhereClause, args = idInClause(v.(*types.Document))\n\t\tcase string, types.ObjectID:\n\t\t\twhereClause',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    from: '\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown = true',
    to: '\t\tcase *types.Document:\n\t\t\twhereClause, args = idInClause(v.(*types.Document))\n\t\t\tfilterPushdown = whereClause != ""\n\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown = true',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    from: '// Stats implements backends.Collection interface.',
    to: `// idInClause is the WHERE clause for {$in: [ids]} on _id when every id is a string or an ObjectID; empty otherwise.
func idInClause(filter *types.Document) (string, []any) {
\tvalues, _ := filter.Get("$in")
\tids, ok := values.(*types.Array)
\tif filter.Len() != 1 || !ok || ids.Len() == 0 || ids.Len() > 1000 {
\t\treturn "", nil
\t}
\targs := make([]any, 0, ids.Len())
\tfor i := 0; i < ids.Len(); i++ {
\t\tswitch id := must.NotFail(ids.Get(i)); id.(type) {
\t\tcase string, types.ObjectID:
\t\t\targs = append(args, string(must.NotFail(sjson.MarshalSingleValue(id))))
\t\tdefault:
\t\t\treturn "", nil
\t\t}
\t}
\treturn fmt.Sprintf(\` WHERE %s IN (?%s)\`, metadata.IDColumn, strings.Repeat(", ?", len(args)-1)), args
}

// Stats implements backends.Collection interface.`,
  },
];

interface FerretDbPatch {
  file: string;
  /** Text that occurs exactly once in the file. */
  from: string;
  to: string;
}

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
  for (const patch of FERRETDB_PATCHES) {
    const target = join(source, patch.file);
    const original = readFileSync(target, 'utf8');
    if (original.split(patch.from).length !== 2) throw new Error(`FerretDB patch: ${patch.file} no longer holds the text it changes: ${patch.from}`);
    if (build === 'id-index') writeFileSync(target, original.replace(patch.from, patch.to));
  }
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
