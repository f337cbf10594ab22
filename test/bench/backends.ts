import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { startDatabase, waitForPort, type FerretDbBuild, type RunningDatabase } from '../../scripts/lib/database';
import { freePort } from '../support/launcher';

/**
 * `npm run bench:backends`: which embedded backend holds a growing collection?
 * The same permit-sized documents (about 2 KB, string ids, an index on `code`)
 * loaded into FerretDB 1.24.2 on SQLite as built here (patched), on SQLite
 * upstream, and on PostgreSQL (when PostgreSQL's `initdb` and `postgres` are
 * installed, e.g. Debian's `postgresql`), at each of BENCH_SIZES (default
 * 1000,10000,50000) documents; at each size a lookup by `_id` (BENCH_LOOKUPS,
 * default 100, random ids) and a lookup by `code` (a tenth as many).
 */

const { MongoClient } = mongoose.mongo;

interface Backend {
  label: string;
  start: () => Promise<RunningDatabase>;
}

async function main() {
  const sizes = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
  const lookups = Number(process.env.BENCH_LOOKUPS ?? 100);
  const work = mkdtempSync(join(tmpdir(), 'yiye-backends-'));
  chmodSync(work, 0o777);
  const ferret = (build: FerretDbBuild, postgresqlUrl?: string) => async () => startDatabase({ port: await freePort(), dataDir: join(work, `${build}-${postgresqlUrl ? 'pg' : 'sqlite'}`), build, postgresqlUrl });
  const backends: Backend[] = [
    { label: 'FerretDB on SQLite, patched (the default)', start: ferret('id-index') },
    { label: 'FerretDB on SQLite, upstream', start: ferret('upstream') },
  ];
  const postgres = findPostgres();
  let stopPostgres = () => {};
  if (postgres) {
    backends.push({
      label: 'FerretDB on PostgreSQL',
      start: async () => {
        const started = await startPostgres(postgres, join(work, 'pg'));
        stopPostgres = started.stop;
        return ferret('id-index', started.url)();
      },
    });
  } else console.log('PostgreSQL not installed (no initdb): its row is left out');

  const rows: string[][] = [];
  // A saved environment variable would make startDatabase use that server instead.
  delete process.env.MONGODB_URI;
  try {
    for (const backend of backends) {
      const database = await backend.start();
      const client = new MongoClient(database.uri);
      const permits = client.db('bench').collection<{ _id: string; code: string }>('permits');
      await permits.createIndex({ code: 1 });
      let stored = 0;
      try {
        for (const size of sizes) {
          const loadStarted = Date.now();
          const before = stored;
          while (stored < size) {
            const batch = Math.min(5000, size - stored);
            await permits.insertMany(Array.from({ length: batch }, (_, i) => permitLike(stored + i)));
            stored += batch;
          }
          const loadSeconds = (Date.now() - loadStarted) / 1000;
          const byId = await timed(lookups, () => permits.findOne({ _id: `permit-${Math.floor(Math.random() * size)}` }));
          const byCode = await timed(Math.max(5, Math.round(lookups / 10)), () => permits.findOne({ code: `CODE${Math.floor(Math.random() * size)}` }));
          const plan = JSON.stringify((await permits.find({ _id: 'permit-1' }).explain()).queryPlanner);
          rows.push([backend.label, String(size), `${byId.p50} / ${byId.p99} ms`, `${byCode.p50} / ${byCode.p99} ms`, /USING INDEX|Index Scan|IXSCAN|IDHACK/.test(plan) ? 'index' : 'whole table', String(Math.round((size - before) / loadSeconds))]);
          console.log(rows[rows.length - 1].join('  '));
        }
      } finally {
        await client.close();
        await database.stop();
      }
    }
  } finally {
    stopPostgres();
    rmSync(work, { recursive: true, force: true });
  }
  console.log('\n');
  const header = ['backend', 'documents', 'by _id p50 / p99', 'by code p50 / p99', 'lookup by _id reads', 'loaded docs/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
}

/** A document the size of a permit version, with a code to find it by. */
function permitLike(n: number) {
  return {
    _id: `permit-${n}`,
    code: `CODE${n}`,
    record: 'VERSION',
    issuedAt: new Date(),
    items: Array.from({ length: 4 }, (_, i) => ({ itemCode: `ITEM-${i}`, itemNameZh: '食品经营许可'.repeat(4), licenceId: `lic-${n}-${i}`, permitted: true, remedy: 'x'.repeat(240) })),
  };
}

async function timed(times: number, fn: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] * 10) / 10;
  return { p50: at(0.5), p99: at(0.99) };
}

function findPostgres(): string | undefined {
  // initdb on the PATH may be a link into PostgreSQL's own bin directory, where its other programs are.
  const onPath = spawnSync('sh', ['-c', 'command -v initdb && readlink -f "$(command -v initdb)"'], { encoding: 'utf8' }).stdout.trim().split('\n').pop();
  if (onPath) return join(onPath, '..');
  const debian = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1'], { encoding: 'utf8' }).stdout.trim();
  return debian && existsSync(join(debian, 'initdb')) ? debian : undefined;
}

/** A throwaway PostgreSQL cluster (as the `postgres` user when run as root: PostgreSQL refuses root). */
async function startPostgres(bin: string, dir: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const asPostgres = (command: string[]) => (userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--', ...command] : command);
  const [initdb, ...initArgs] = asPostgres([join(bin, 'initdb'), '-D', dir, '-A', 'trust', '-U', 'postgres']);
  const init = spawnSync(initdb, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const [postgresBin, ...args] = asPostgres([join(bin, 'postgres'), '-D', dir, '-p', String(port), '-k', dir, '-h', '127.0.0.1']);
  spawn(postgresBin, args, { stdio: 'ignore' });
  await waitForPort(port);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const create = spawnSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'ferretdb'], { encoding: 'utf8' });
  if (create.status !== 0) throw new Error(`createdb failed: ${create.stderr}`);
  const [pgCtl, ...stopArgs] = asPostgres([join(bin, 'pg_ctl'), '-D', dir, 'stop', '-m', 'immediate']);
  return { url: `postgres://postgres@127.0.0.1:${port}/ferretdb`, stop: () => void spawnSync(pgCtl, stopArgs) };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
