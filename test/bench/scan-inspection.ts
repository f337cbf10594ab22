import '../../shared/no-telemetry';
import { measure, printResults, startBenchPlatform } from './bench';
import { devToken } from '../support/launcher';
import { Walkthrough } from '../support/walkthrough';
import { sampleBusiness } from '../support/sample-values';
import { SCANNED_PERMIT_FRAGMENT } from '../../documents/queries';

/**
 * `npm run bench:scan-inspection`: what showing the last joint inspection on a
 * scan costs. The scan page's query with and without `lastInspection` (a third
 * subgraph, supervision, asked beside the departments), side by side in one
 * run, twice, at 1 and 10 connections. BENCH_SECONDS per run (default 5).
 */
async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const { platform, stop } = await startBenchPlatform();
  try {
    const walk = new Walkthrough(platform.gatewayUrl, (identity) => devToken(platform.options.secrets.jwt, identity, '30m'));
    const permit = await walk.issuedPermit('restaurant', { ownSewerConnection: true }, sampleBusiness(7001));
    const withIt = `query ($code: ID!) { scanPermit(code: $code) { ...ScannedPermit } } ${SCANNED_PERMIT_FRAGMENT}`;
    const without = withIt.replace('lastInspection { closedOn result }', '');
    if (without === withIt) throw new Error('fragment changed');
    const url = `${platform.gatewayUrl}/graphql`;
    const bodies = { with: JSON.stringify({ query: withIt, variables: { code: permit.code } }), without: JSON.stringify({ query: without, variables: { code: permit.code } }) };
    await measure('warm', url, bodies.with, {}, 2);
    await measure('warm', url, bodies.without, {}, 2);
    const results = [];
    for (let round = 0; round < 2; round++) {
      for (const connections of [1, 10]) {
        results.push(await measure(`without lastInspection, ${connections} conn`, url, bodies.without, {}, seconds, connections));
        results.push(await measure(`with lastInspection, ${connections} conn`, url, bodies.with, {}, seconds, connections));
      }
    }
    printResults(results);
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
