import '../../shared/no-telemetry';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../shared/registry';
import { freePort, type Platform } from '../support/launcher';
import { SCAN_QUERY, SCANNED_PERMIT_FRAGMENT } from '../../documents/queries';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity } from '../../shared/identity';
import { GATEWAY_RUNTIMES } from '../../gateway/config';
import { cpuPerRequest, cpuTimes, measure, platformMemory, printResults, startBenchPlatform, type LoadResult } from './bench';
import { countDatabaseCommands, waitForQuiet } from '../support/metrics';
import { buildScanScenarios } from '../support/scan-scenarios';
import { devToken } from '../support/launcher';
import { Walkthrough } from '../support/walkthrough';
import { permitCloner } from './clones';
import { SCAN_WITH_OVERALL_STATE } from '../support/walkthrough';
import { overallStateOfScan } from '../../shared/permit-state';
import type { ScannedPermit } from '../../documents/scan-page';

/** How many different permits the second 10-connection run scans, one after another. */
const DIFFERENT_PERMITS = 500;

/**
 * `npm run bench:scan`: the public scan of permits with 2, 5 and 8 licences,
 * through every gateway runtime side by side on the same subgraphs, against
 * its floor measured directly in the same run: the permit subgraph's part of
 * the scan plus the slowest department's part (its `_entities` fetch of the
 * permit's licences). At 1 connection the gateway's p50 is compared with the
 * floor (goal ≤ 1.5×); at 10 connections the runtimes' throughput with each
 * other, all scanning one permit and then each request another permit. Also: the CPU time each process spends per scan, database queries per scan, and the platform's memory.
 * Beside the runtimes, `bare-hive` (bare-hive.ts): Hive Gateway with none of the project's code, so the
 * run shows apart what the project's gateway code costs and what the library costs.
 * BENCH_SECONDS per run (default 8).
 */

/** What the gateway asks the permit subgraph for a scan: everything but the departments' licence fields. */
const PERMIT_PART = `query ($code: ID!) { scanPermit(code: $code) { ...ScannedPermit } }
${SCANNED_PERMIT_FRAGMENT.replace(/licence \{[^}]*\}/, 'licence { __typename id }')}`;

/** What the gateway asks a department for a scan: its licences on the permit, by key. */
const DEPARTMENT_PART = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on SingleLicence { id licenceNumber status validUntil endedReason } } }`;

interface Run {
  body: string;
  headers: Record<string, string>;
}

async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  // No timed outbox sweeps, so every counted query comes from scans (writes still kick the relay).
  let reference: { url: string; process: ChildProcess } | undefined;
  const { platform, database, stop } = await startBenchPlatform({ OUTBOX_INTERVAL_MS: '600000' }, GATEWAY_RUNTIMES);
  try {
    const walk = new Walkthrough(platform.gatewayUrl, (identity) => devToken(platform.options.secrets.jwt, identity, '30m'));
    const permits = await buildScanScenarios(walk);
    const subgraphs = Object.fromEntries(Object.entries(platform.serviceUrls).filter(([name]) => name !== 'applications'));
    reference = await startBareHive(platform);
    const gateways = [
      ...GATEWAY_RUNTIMES.map((runtime, replica) => ({ runtime, url: `http://127.0.0.1:${platform.replicaPorts('gateway')[replica]}/graphql` })),
      { runtime: 'bare-hive', url: reference.url },
    ];
    const signedFor = async (subgraph: string) => ({ [IDENTITY_HEADER]: await signIdentity(PUBLIC_IDENTITY, subgraph, platform.options.secrets.identityKeys[0]) });

    await waitForQuiet(platform.serviceUrls);
    const single: LoadResult[] = [];
    const loaded: LoadResult[] = [];
    const floors: string[] = [];
    const queries: string[] = [];
    const cpu: string[] = [];
    for (const [name, permit] of Object.entries(permits)) {
      const label = `${name} (${permit.licences} licences)`;
      const scan = await walk.scan(permit.code);
      if (!scan || scan.overallState !== 'VALID') throw new Error(`${name}: the scan should be VALID, is ${scan?.overallState}`);

      // The scan page's query through every runtime, each answer checked against the first and its derived state against the field's.
      const viaGateway: Run = { body: JSON.stringify({ query: SCAN_QUERY, variables: { code: permit.code } }), headers: {} };
      const withField: Run = { body: JSON.stringify({ query: SCAN_WITH_OVERALL_STATE, variables: { code: permit.code } }), headers: {} };
      let first: string | undefined;
      for (const { runtime, url } of gateways) {
        const answer = (await post(url, viaGateway)) as { data?: { scanPermit?: ScannedPermit } };
        first ??= JSON.stringify(answer);
        if (JSON.stringify(answer) !== first || !answer.data?.scanPermit || overallStateOfScan(answer.data.scanPermit) !== scan.overallState) {
          throw new Error(`${runtime} answers the scan differently: ${JSON.stringify(answer).slice(0, 300)}`);
        }
      }

      // The floor's parts, asked directly as the gateway asks them.
      const direct: Record<string, { url: string; run: Run }> = {
        permit: { url: `${platform.serviceUrls.permit}/graphql`, run: { body: JSON.stringify({ query: PERMIT_PART, variables: { code: permit.code } }), headers: await signedFor('permit') } },
      };
      const keys = (await post(direct.permit.url, direct.permit.run)) as { data: { scanPermit: { items: { departmentCode: string; licence: { __typename: string; id: string } }[] } } };
      const byDepartment = new Map<string, { __typename: string; id: string }[]>();
      for (const item of keys.data.scanPermit.items) byDepartment.set(item.departmentCode, [...(byDepartment.get(item.departmentCode) ?? []), item.licence]);
      for (const [department, representations] of byDepartment) {
        direct[department] = { url: `${platform.serviceUrls[department]}/graphql`, run: { body: JSON.stringify({ query: DEPARTMENT_PART, variables: { r: representations } }), headers: await signedFor(department) } };
        const answer = (await post(direct[department].url, direct[department].run)) as { data?: { _entities: unknown[] } };
        if (answer.data?._entities.length !== representations.length) throw new Error(`${department} did not answer its licences: ${JSON.stringify(answer).slice(0, 300)}`);
      }

      const counts = await countDatabaseCommands(subgraphs, async () => {
        for (let i = 0; i < 20; i++) await walk.scan(permit.code);
      });
      const used = Object.entries(counts).filter(([, n]) => n > 0);
      queries.push(`${label}: ${used.reduce((s, [, n]) => s + n, 0) / 20} queries per scan — ${used.map(([service, n]) => `${service} ${n / 20}`).join(', ')}`);

      // 1 connection: each runtime's p50 against the floor.
      const partP50: Record<string, number> = {};
      for (const [part, { url, run }] of Object.entries(direct)) {
        // Signed anew for each run: a signed identity lasts a minute (cached for half of it).
        const headers = await signedFor(part);
        await measure('warm-up', url, run.body, headers, 1, 1);
        const result = await measure(`${label}: ${part} directly`, url, run.body, headers, seconds, 1);
        single.push(result);
        partP50[part] = result.p50;
      }
      const [slowest, slowestP50] = Object.entries(partP50).filter(([part]) => part !== 'permit').sort((a, b) => b[1] - a[1])[0];
      const floor = partP50.permit + slowestP50;
      for (const { runtime, url } of gateways) {
        // Long enough for the runtime's code to be compiled hot: the first scenario ran colder than the others.
        await measure('warm-up', url, viaGateway.body, {}, 3, 1);
        const before = cpuTimes(platform, database, [reference.process]);
        const result = await measure(`${label}: via gateway (${runtime})`, url, viaGateway.body, {}, seconds, 1);
        const used = cpuPerRequest(before, cpuTimes(platform, database, [reference.process]), result.requests);
        single.push(result);
        floors.push(`${label}, ${runtime}: p50 ${result.p50} ms / floor ${floor} ms (permit ${partP50.permit} + ${slowest} ${slowestP50}) = ${(result.p50 / floor).toFixed(2)}× (goal ≤ 1.5×)`);
        cpu.push(`${label}, ${runtime}: ${used.reduce((sum, p) => sum + p.ms, 0).toFixed(1)} ms in all — ${used.map((p) => `${p.process} ${p.ms.toFixed(1)}`).join(', ')}`);
        // The API's `overallState` field as well: a third subgraph call, once the licences' states are in.
        const third = await measure(`${label}: via gateway (${runtime}), with overallState`, url, withField.body, {}, seconds, 1);
        single.push(third);
        floors.push(`${label}, ${runtime}, asking overallState too: p50 ${third.p50} ms = ${(third.p50 / floor).toFixed(2)}× the floor`);
      }

      // 10 connections: throughput of each runtime, and of the permit subgraph alone. All scanning
      // one permit (a runtime may answer identical requests in flight once: Hive Gateway does), then
      // each request another permit (clones of this one), as a district's scans would come.
      for (const { runtime, url } of gateways) {
        await measure('warm-up', url, viaGateway.body, {}, 1);
        loaded.push(await measure(`${label}: via gateway (${runtime}), one permit`, url, viaGateway.body, {}, seconds));
      }
      loaded.push(await measure(`${label}: permit directly, one permit`, direct.permit.url, direct.permit.run.body, await signedFor('permit'), seconds));
      const cloner = await permitCloner(platform, permit.code);
      const others = (await cloner.clone(DIFFERENT_PERMITS)).map((code) => JSON.stringify({ query: SCAN_QUERY, variables: { code } }));
      await cloner.close();
      for (const { runtime, url } of gateways) {
        loaded.push(await measure(`${label}: via gateway (${runtime}), ${DIFFERENT_PERMITS} permits`, url, others, {}, seconds));
      }
    }
    console.log(`\n${seconds}s per run, 1 connection\n`);
    printResults(single);
    console.log('\nscan p50 through each gateway runtime against its floor (permit subgraph p50 + slowest department p50, same run):');
    for (const line of floors) console.log(`  ${line}`);
    console.log('\nCPU time per scan at 1 connection, by process (from /proc; two cores share it all):');
    for (const line of cpu) console.log(`  ${line}`);
    console.log(`\n${seconds}s per run, 10 connections\n`);
    printResults(loaded);
    for (const name of Object.keys(permits)) {
      for (const scanned of ['one permit', `${DIFFERENT_PERMITS} permits`]) {
        const [first, ...rest] = loaded.filter((r) => r.label.startsWith(`${name} `) && r.label.includes('via gateway') && r.label.endsWith(scanned));
        const runtimeOf = (r: LoadResult) => /\(([\w-]+)\)/.exec(r.label)![1];
        for (const other of rest) console.log(`  ${name}, ${scanned}: ${runtimeOf(other)} ${(other.rps / first.rps).toFixed(2)}× ${runtimeOf(first)}'s throughput`);
      }
    }
    console.log('\ndatabase queries per scan, asking overallState too (20 scans each, counted from the driver):');
    for (const line of queries) console.log(`  ${line}`);
    const memory = platformMemory(platform);
    console.log(`\nthe platform's resident memory after the runs: ${memory.totalMiB} MiB in ${memory.processes.length} processes (largest: ${memory.processes.slice(0, 4).map((p) => `${p.name} ${p.mib} MiB`).join(', ')}); \`npm run dev\` runs it all in one process`);
    if ([...single, ...loaded].some((r) => r.errors > 0)) throw new Error('some requests failed');
  } finally {
    reference?.process.kill();
    await stop();
  }
}

/** The reference gateway (bare-hive.ts) on the platform's subgraphs, as its own process. */
async function startBareHive(platform: Platform): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'bench', 'bare-hive.ts')], {
    env: { ...process.env, PORT: String(port), SERVICE_URLS: JSON.stringify(platform.serviceUrls), BENCH_IDENTITY_KEY: JSON.stringify(platform.options.secrets.identityKeys[0]) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the reference gateway exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/graphql`, process: child };
}

async function post(url: string, run: Run): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...run.headers }, body: run.body });
  return response.json();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
