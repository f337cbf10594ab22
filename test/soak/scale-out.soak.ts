import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Identity } from '../../shared/identity';
import { devToken } from '../support/launcher';
import { publishTestIndustries } from '../support/paths';
import { startReplicatedPlatform, type ReplicatedPlatform } from '../support/replicated';
import { Walkthrough } from '../support/walkthrough';
import { checkWholePathInvariants, WALKED_SERVICES, wholePathWalker, type WalkResult } from '../support/whole-path';

/**
 * Scale-out (`npm run test:soak`): two replicas of every subgraph and two
 * gateways on one database, each service behind a load balancer. First with
 * every replica up, the relays sharing each outbox queue must not send the
 * same event twice; then replicas (the gateways too) are killed -9 and
 * started again at random while applications walk the whole path, and every
 * invariant is checked from the databases.
 */
const REPLICAS = 2;
const CALM = 6;
const APPLICATIONS = Number(process.env.SCALE_OUT_APPLICATIONS ?? 24);
/** Applications keep walking until at least this many replicas, a gateway among them, have been killed. */
const KILLS = 8;
const WALKERS = 4;
jest.setTimeout(20 * 60_000);

describe(`scale-out: ${REPLICAS} replicas of every subgraph and of the gateway on one database`, () => {
  let replicated: ReplicatedPlatform;
  let walker: ReturnType<typeof wholePathWalker>;
  const results: WalkResult[] = [];
  const log = (...args: unknown[]) => console.log(`[scale-out ${new Date().toISOString().slice(11, 19)}]`, ...args);

  beforeAll(async () => {
    const started = Date.now();
    replicated = await startReplicatedPlatform(process.env.MONGODB_URI!, 'x', REPLICAS, { OUTBOX_INTERVAL_MS: '300', LAPSE_INTERVAL_MS: '600000' });
    log(`${replicated.instances.length} instances started in ${Math.round((Date.now() - started) / 1000)} s`);
    const { platform } = replicated;
    const token = (identity: Identity) => devToken(platform.options.secrets.jwt, identity, '1h');
    const walk = new Walkthrough(platform.gatewayUrl, token);
    await publishTestIndustries(walk);
    walker = wholePathWalker(platform.gatewayUrl, walk, token);
  });
  afterAll(async () => {
    await replicated?.stop();
  });

  /** Which relay (instance) delivered each event, from the instances' logs. */
  const deliveries = () => {
    const byEvent = new Map<string, string[]>();
    for (const instance of replicated.instances) {
      const file = join(replicated.platform.options.logDir, `${instance}.log`);
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.includes('"event delivered"')) continue;
        const { eventId } = JSON.parse(line) as { eventId: string };
        byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), instance]);
      }
    }
    return byEvent;
  };

  /** Walks applications from `from` on, `WALKERS` at a time, until `more` says enough. */
  const walkAll = async (from: number, more: (next: number) => boolean) => {
    let next = from;
    await Promise.all(
      Array.from({ length: WALKERS }, async () => {
        while (more(next)) {
          const index = next++;
          results.push(await walker.walkOne(index));
          log(`application ${index + 1} through the path`);
        }
      }),
    );
  };

  it('with every replica up, both replicas serve and no event is sent by two relays', async () => {
    await walkAll(0, (next) => next < CALM);
    const byEvent = deliveries();
    const twice = [...byEvent].filter(([, by]) => by.length > 1);
    log(`${byEvent.size} events delivered, ${twice.length} by more than one relay`);
    expect(byEvent.size).toBeGreaterThan(CALM * 3);
    expect(twice).toEqual([]);
    // The load is spread: both replicas of the applications subgraph sent events of their own writes.
    const senders = new Set([...byEvent.values()].flat().filter((i) => i.startsWith('applications')));
    expect([...senders].sort()).toEqual(['applications', 'applications#1']);
  });

  it(`keeps every invariant while replicas and gateways are killed -9 and restarted (${APPLICATIONS}+ applications)`, async () => {
    let walking = true;
    const kills: string[] = [];
    const { platform, instances } = replicated;
    // One replica at a time is down: killed -9, then started again on its port, as an orchestrator would.
    const walked = instances.filter((i) => WALKED_SERVICES.includes(i.split('#')[0]));
    const gateways = instances.filter((i) => i.startsWith('gateway'));
    const pick = (from: string[]) => from[Math.floor(Math.random() * from.length)];
    const chaos = (async () => {
      for (let round = 1; walking; round++) {
        await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
        if (!walking) break;
        // The replicas the walked path uses, and every fourth time a gateway.
        const target = round % 4 === 0 ? pick(gateways) : pick(walked);
        await platform.stopService(target, 'SIGKILL');
        kills.push(target);
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
        await platform.restartInstance(target);
      }
    })();
    const started = Date.now();
    try {
      await walkAll(CALM, (next) => next < APPLICATIONS || kills.length < KILLS || !kills.some((k) => k.startsWith('gateway')));
    } finally {
      walking = false;
      await chaos;
    }
    log(`walked ${results.length - CALM} applications in ${Math.round((Date.now() - started) / 1000)} s; ${walker.stats.timeouts} requests timed out; kills: ${kills.join(', ')}`);
    expect(kills.length).toBeGreaterThanOrEqual(KILLS);
    expect(kills.some((k) => k.startsWith('gateway'))).toBe(true);

    const { takeovers } = await checkWholePathInvariants({ mongoUri: process.env.MONGODB_URI!, dbPrefix: platform.options.dbPrefix, results });
    const byEvent = deliveries();
    const twice = [...byEvent].filter(([, by]) => by.length > 1).length;
    log(`invariants hold across ${WALKED_SERVICES.join(', ')}; ${takeovers} inbox claims taken over; ${byEvent.size} events delivered, ${twice} sent again after a crash`);
  });
});
