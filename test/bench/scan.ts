import '../../shared/no-telemetry';
import { SCAN_QUERY } from '../../documents/queries';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity } from '../../shared/identity';
import { measure, platformMemory, printResults, startBenchPlatform, type LoadResult } from './bench';
import { countDatabaseCommands, waitForQuiet } from '../support/metrics';
import { buildScanScenarios } from '../support/scan-scenarios';
import { devToken } from '../support/launcher';
import { Walkthrough } from '../support/walkthrough';

/**
 * `npm run bench:scan`: scans per second, p50 and p99 for permits with 2, 5
 * and 8 licences through the gateway, the same scans' database queries per
 * scan (from each service's command monitoring), and the permit subgraph
 * queried directly, in one run on an isolated platform. BENCH_SECONDS per run (default 8).
 */
async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  // No timed outbox sweeps, so every counted query comes from scans (writes still kick the relay).
  const { platform, stop } = await startBenchPlatform({ OUTBOX_INTERVAL_MS: '600000' });
  try {
    const walk = new Walkthrough(platform.gatewayUrl, (identity) => devToken(platform.options.secrets.jwt, identity, '30m'));
    const permits = await buildScanScenarios(walk);
    const subgraphs = Object.fromEntries(Object.entries(platform.serviceUrls).filter(([name]) => name !== 'applications'));

    await waitForQuiet(platform.serviceUrls);
    const results: LoadResult[] = [];
    const queries: string[] = [];
    for (const [name, permit] of Object.entries(permits)) {
      const body = JSON.stringify({ query: SCAN_QUERY, variables: { code: permit.code } });
      const scans = 20;
      const counts = await countDatabaseCommands(subgraphs, async () => {
        for (let i = 0; i < scans; i++) await walk.scan(permit.code);
      });
      const used = Object.entries(counts).filter(([, n]) => n > 0);
      queries.push(
        `${name} (${permit.licences} licences): ${used.reduce((s, [, n]) => s + n, 0) / scans} queries per scan — ` +
          used.map(([service, n]) => `${service} ${n / scans}`).join(', '),
      );
      await measure('warm-up', `${platform.gatewayUrl}/graphql`, body, {}, 1);
      results.push(await measure(`${name}: ${permit.licences} licences via gateway`, `${platform.gatewayUrl}/graphql`, body, {}, seconds));
      const direct = JSON.stringify({
        query: 'query ($code: ID!) { scanPermit(code: $code) { code status holderName items { itemCode permitted licence { id } } } }',
        variables: { code: permit.code },
      });
      const headers = { [IDENTITY_HEADER]: await signIdentity(PUBLIC_IDENTITY, 'permit', platform.options.secrets.identityKeys[0]) };
      results.push(await measure(`${name}: permit subgraph directly`, `${platform.serviceUrls.permit}/graphql`, direct, headers, seconds));
    }
    console.log(`\n${seconds}s per run, 10 connections\n`);
    printResults(results);
    console.log('\ndatabase queries per scan (20 scans each, counted from the driver):');
    for (const line of queries) console.log(`  ${line}`);
    const memory = platformMemory(platform);
    console.log(`\nthe platform's resident memory after the runs: ${memory.totalMiB} MiB in ${memory.processes.length} processes (largest: ${memory.processes.slice(0, 3).map((p) => `${p.name} ${p.mib} MiB`).join(', ')}); \`npm run dev\` runs it all in one process`);
    if (results.some((r) => r.errors > 0)) throw new Error('some requests failed');
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
