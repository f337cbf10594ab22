import { startIsolatedPlatform, type Platform } from '../support/launcher';
import { devToken } from '../support/launcher';
import { Walkthrough } from '../support/walkthrough';
import type { Identity } from '../../shared/identity';
import { killable, ownDatabase, type OwnDatabase } from '../support/own-database';
import { publishTestIndustries } from '../support/paths';
import { checkWholePathInvariants, wholePathWalker, type WalkResult } from '../support/whole-path';

/**
 * The kill -9 soak (`npm run test:soak`): applications walk the whole path
 * (submit, materials, acceptance, every item approved, the permit issued, and
 * every third licence revoked) while services are killed -9 at random and the
 * database itself is killed -9 several times. The walkers retry as a client
 * would; nothing is checked through the API at the end: every invariant is
 * checked from the databases themselves.
 */
const APPLICATIONS = Number(process.env.SOAK_APPLICATIONS ?? 36);
const WALKERS = 4;
const DATABASE_KILLS = 3;
jest.setTimeout(15 * 60_000);

(killable ? describe : describe.skip)('kill -9 soak', () => {
  let db: OwnDatabase;
  let platform: Platform;
  let walk: Walkthrough;
  let walker: ReturnType<typeof wholePathWalker>;
  const log = (...args: unknown[]) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...args);

  beforeAll(async () => {
    db = await ownDatabase('soak');
    platform = await startIsolatedPlatform(db.uri, 's', { OUTBOX_INTERVAL_MS: '300', LAPSE_INTERVAL_MS: '600000' });
    const token = (identity: Identity) => devToken(platform.options.secrets.jwt, identity, '1h');
    walk = new Walkthrough(platform.gatewayUrl, token);
    walker = wholePathWalker(platform.gatewayUrl, walk, token);
    await publishTestIndustries(walk);
  });
  afterAll(async () => {
    await platform?.stop();
    await db?.stop();
  });

  it(`keeps every invariant while services and the database are killed -9 (${APPLICATIONS} applications)`, async () => {
    let walking = true;
    const kills: string[] = [];
    const targets = ['applications', 'permit', 'market-regulation', 'commerce', 'gateway'];
    // Chaos: a random service killed -9 every few seconds and started again; the database killed -9 now and then.
    const chaos = (async () => {
      let round = 0;
      while (walking) {
        await new Promise((r) => setTimeout(r, 2000 + Math.random() * 2000));
        if (!walking) break;
        round++;
        if (round % 4 === 0 && kills.filter((k) => k === 'database').length < DATABASE_KILLS + 2) {
          await db.kill();
          kills.push('database');
          await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1500));
          await db.restart();
        } else {
          const target = targets[Math.floor(Math.random() * targets.length)];
          await platform.stopService(target, 'SIGKILL');
          kills.push(target);
          if (target === 'gateway') await platform.startGateway();
          else await platform.startService(target);
        }
      }
    })();
    const started = Date.now();
    let next = 0;
    const results: WalkResult[] = [];
    try {
      await Promise.all(
        Array.from({ length: WALKERS }, async () => {
          while (next < APPLICATIONS) {
            const index = next++;
            results.push(await walker.walkOne(index));
            log(`application ${index + 1}/${APPLICATIONS} through the path`);
          }
        }),
      );
      // At least three database kills happened while applications walked.
      while (kills.filter((k) => k === 'database').length < DATABASE_KILLS) await new Promise((r) => setTimeout(r, 500));
    } finally {
      walking = false;
      await chaos;
    }
    log(`walked ${results.length} applications in ${Math.round((Date.now() - started) / 1000)} s; ${walker.stats.timeouts} requests timed out; kills: ${kills.join(', ')}`);
    expect(kills.filter((k) => k === 'database').length).toBeGreaterThanOrEqual(DATABASE_KILLS);
    expect(kills.filter((k) => k !== 'database').length).toBeGreaterThanOrEqual(5);

    // Every invariant, from the databases.
    const { takeovers } = await checkWholePathInvariants({ mongoUri: db.uri, dbPrefix: platform.options.dbPrefix, results });
    log(`invariants hold; ${takeovers} inbox claims were taken over after a crash`);
  });
});
