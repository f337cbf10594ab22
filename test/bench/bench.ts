import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { freePort, startDatabase, startIsolatedPlatform, type Platform, type RunningDatabase } from '../support/launcher';

/** Shared by the `bench:*` scripts: an isolated platform, and one measured load run. */
/** An isolated platform for a bench; with `gatewayRuntimes`, one gateway per runtime on the same subgraphs (the first is `platform.gatewayUrl`). */
export async function startBenchPlatform(extraEnv: Record<string, string> = {}, gatewayRuntimes: readonly string[] = []): Promise<{ platform: Platform; database: RunningDatabase; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'yiye-bench-'));
  const database = await startDatabase({ port: await freePort(), dataDir });
  const platform = await startIsolatedPlatform(database.uri, 'bench', { LOG_LEVEL: 'warn', ...extraEnv }, gatewayRuntimes.length ? { gatewayEnv: gatewayRuntimes.map((runtime) => ({ GATEWAY_RUNTIME: runtime })) } : {});
  return {
    platform,
    database,
    stop: async () => {
      await platform.stop();
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  label: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * POSTs a GraphQL body for `seconds` with `connections` open; with several
 * bodies, each request takes the next (e.g. scans of different permits).
 * Counts any non-2xx or GraphQL error as an error.
 */
export async function measure(
  label: string,
  url: string,
  body: string | string[],
  headers: Record<string, string>,
  seconds: number,
  connections = 10,
): Promise<LoadResult> {
  let graphqlErrors = 0;
  const bodies = Array.isArray(body) ? body : [body];
  let next = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: bodies[0],
    ...(bodies.length > 1 ? { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: bodies[next++ % bodies.length] }) }] } : {}),
    connections,
    duration: seconds,
    setupClient: (client) => {
      client.on('body', (buffer: Buffer) => {
        if (buffer.includes('"errors"')) graphqlErrors++;
      });
    },
  });
  return {
    label,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + graphqlErrors,
  };
}

export function printResults(results: LoadResult[]): void {
  const rows = results.map((r) => [r.label, String(r.requests), String(r.rps), `${r.p50} ms`, `${r.p99} ms`, String(r.errors)]);
  const header = ['run', 'requests', 'req/s', 'p50', 'p99', 'errors'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

/** The whole platform's resident memory: every process it started (from /proc), largest first. */
export function platformMemory(platform: Platform): { totalMiB: number; processes: { name: string; mib: number }[] } {
  const processes = [...platform.processes.values()].map((p) => {
    const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
    const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { name: p.instance, mib: Math.round(kib / 1024) };
  });
  processes.sort((a, b) => b.mib - a.mib);
  return { totalMiB: processes.reduce((sum, p) => sum + p.mib, 0), processes };
}

/** Linux counts a process's CPU time in clock ticks of 10 ms (USER_HZ = 100). */
const MS_PER_TICK = 10;

/** CPU time (user + system, ms) each process of the platform, its database and any `others` the bench started has used so far, from /proc. */
export function cpuTimes(platform: Platform, database: RunningDatabase, others: ChildProcess[] = []): Map<string, number> {
  const of = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  };
  const times = new Map([...platform.processes.values()].map((p) => [p.instance, of(p.child.pid!)]));
  if (database.process?.pid) times.set('database', of(database.process.pid));
  for (const other of others) times.set(`${basename(String(other.spawnargs.at(-1)), '.ts')}`, of(other.pid!));
  return times;
}

/** CPU ms per request of each process between two `cpuTimes`, leaving out those that did nothing measurable. */
export function cpuPerRequest(before: Map<string, number>, after: Map<string, number>, requests: number): { process: string; ms: number }[] {
  return [...after]
    .map(([name, ms]) => ({ process: name, ms: (ms - (before.get(name) ?? ms)) / requests }))
    .filter((p) => p.ms >= 0.5)
    .sort((a, b) => b.ms - a.ms);
}
