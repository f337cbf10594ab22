import '../../shared/no-telemetry';
import mongoose from 'mongoose';
import { SCAN_QUERY } from '../../documents/queries';
import type { ScannedPermit } from '../../documents/scan-page';
import { overallStateOfScan } from '../../shared/permit-state';
import { permitCloner, type PermitCloner } from './clones';
import { startBenchPlatform } from './bench';
import { databaseCommands, waitForQuiet } from '../support/metrics';
import { buildScanScenarios } from '../support/scan-scenarios';
import { devToken } from '../support/launcher';
import { Walkthrough } from '../support/walkthrough';

/**
 * `npm run bench:database`: does a scan cost the same with a million permits
 * stored as with a thousand? A platform on its own embedded database (the
 * default backend, `scripts/lib/database.ts`); one permit of 2 licences walked
 * through the whole path; then every document the permit subgraph and the two
 * departments keep for it is cloned with new ids, codes and licence ids until
 * BENCH_PERMITS permits are stored (default `1000,1000000`). At each size:
 * scan p50 / p99 through the gateway at 1 connection over BENCH_SCANS scans
 * (default 400) of random stored permits, each answer checked VALID; a lookup
 * by id straight on the database; and the database commands of the platform
 * left idle for BENCH_IDLE_SECONDS (default 10). Ends with p99 at the largest
 * size over p99 at the smallest (goal ≤ 1.2×).
 */

const { MongoClient } = mongoose.mongo;
/** Scans before each measurement, not counted: the first size would otherwise also measure the processes warming up. */
const WARM_UP = 100;
type Doc = Record<string, unknown> & { _id: string };

async function main() {
  const sizes = (process.env.BENCH_PERMITS ?? '1000,1000000').split(',').map(Number);
  const scans = Number(process.env.BENCH_SCANS ?? 400);
  const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
  const { platform, stop } = await startBenchPlatform();
  const client = new MongoClient(platform.options.mongoUri);
  let cloner: PermitCloner | undefined;
  const dbOf = (service: string) => client.db(`${platform.options.dbPrefix}${service.replace(/-/g, '_')}`);
  try {
    const walk = new Walkthrough(platform.gatewayUrl, (identity) => devToken(platform.options.secrets.jwt, identity, '30m'));
    const template = (await buildScanScenarios(walk))['scan-2'];
    await waitForQuiet(platform.serviceUrls);

    cloner = await permitCloner(platform, template.code);
    const { licences } = cloner;
    console.log(`template permit ${template.code}: ${cloner.describe}`);

    const codes: string[] = [template.code];
    const results: { size: number; p50: number; p99: number; idP50: number; idP99: number; load: string; idle: string }[] = [];
    for (const size of sizes) {
      const started = Date.now();
      while (codes.length < size) {
        codes.push(...(await cloner.clone(Math.min(50000, size - codes.length))));
        console.log(`  ${codes.length} permits stored (${Math.round((Date.now() - started) / 1000)} s)`);
      }
      const load = `${Math.round((Date.now() - started) / 1000)} s`;
      await waitForQuiet(platform.serviceUrls, 500, 120000);

      // Scans through the gateway, one at a time, of random stored permits.
      const latencies: number[] = [];
      for (let i = 0; i < scans + WARM_UP; i++) {
        const code = i % 10 === 0 ? template.code : codes[Math.floor(Math.random() * codes.length)];
        const t0 = performance.now();
        const response = await fetch(`${platform.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: SCAN_QUERY, variables: { code } }) });
        const answer = (await response.json()) as { data?: { scanPermit?: ScannedPermit } };
        if (i >= WARM_UP) latencies.push(performance.now() - t0);
        if (!answer.data?.scanPermit || overallStateOfScan(answer.data.scanPermit) !== 'VALID' || answer.data.scanPermit.items.length !== licences) throw new Error(`scan of ${code} at ${size}: ${JSON.stringify(answer).slice(0, 300)}`);
      }
      // A lookup by id straight on the database: the permit's version, as a scan reads it.
      const idLatencies: number[] = [];
      const permits = dbOf('permit').collection<Doc>('permit_codes');
      for (let i = 0; i < scans; i++) {
        const t0 = performance.now();
        if (!(await permits.findOne({ _id: codes[Math.floor(Math.random() * codes.length)] }))) throw new Error('a stored code is missing');
        idLatencies.push(performance.now() - t0);
      }
      // The platform left alone.
      const idle = await idleCommands(platform.serviceUrls, idleSeconds);
      results.push({ size, ...percentiles(latencies), ...idPercentiles(idLatencies), load, idle });
      const r = results[results.length - 1];
      console.log(`${size} permits: scan p50 ${r.p50} ms, p99 ${r.p99} ms; by id p50 ${r.idP50} ms, p99 ${r.idP99} ms; loaded in ${load}; idle: ${idle}`);
    }

    console.log(`\nscans through the gateway, 1 connection, ${scans} scans of random stored permits per size (2 licences each)\n`);
    const rows = results.map((r) => [String(r.size), `${r.p50} ms`, `${r.p99} ms`, `${r.idP50} ms`, `${r.idP99} ms`, r.load, r.idle]);
    const header = ['permits', 'scan p50', 'scan p99', 'by id p50', 'by id p99', 'load', `idle ${idleSeconds} s: commands per second (by kind)`];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
    const [first, last] = [results[0], results[results.length - 1]];
    console.log(`\nscan p99 at ${last.size} over p99 at ${first.size}: ${(last.p99 / first.p99).toFixed(2)}× (goal ≤ 1.2×); p50 ${(last.p50 / first.p50).toFixed(2)}×`);
  } finally {
    await cloner?.close();
    await client.close();
    await stop();
  }
}

function percentiles(ms: number[]): { p50: number; p99: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
  return { p50: at(0.5), p99: at(0.99) };
}

function idPercentiles(ms: number[]): { idP50: number; idP99: number } {
  const { p50, p99 } = percentiles(ms);
  return { idP50: p50, idP99: p99 };
}

/** Commands per second over `seconds` of an idle platform, in all and by kind, from every service's /metrics. */
async function idleCommands(serviceUrls: Record<string, string>, seconds: number): Promise<string> {
  const kinds = ['find:byId', 'find:queue', 'find:sweep'];
  const read = () => Promise.all([undefined, ...kinds].map(async (kind) => (await Promise.all(Object.values(serviceUrls).map((url) => databaseCommands(url, kind)))).reduce((a, b) => a + b, 0)));
  const before = await read();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = await read();
  const rate = (i: number) => ((after[i] - before[i]) / seconds).toFixed(1);
  return `${rate(0)} (${kinds.map((kind, i) => `${kind} ${rate(i + 1)}`).join(', ')})`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
