import { countDatabaseCommands, waitForQuiet } from '../support/metrics';
import { buildScanScenarios, SCAN_SCENARIOS } from '../support/scan-scenarios';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * A scan reads only by id: the permit by its code, each department its
 * licences by their ids, all in one query. Every lookup by id is answered from the primary index on any
 * database, so a scan costs the same however many permits and licences are
 * stored; a query on any other field would make the embedded database read the
 * whole collection. Counted from the driver's command monitoring (each
 * service's /metrics, where a `find` is `find:byId` or `find:sweep`).
 */
describe('database queries per scan', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    // No timed outbox sweeps: every query counted below comes from the scans.
    t = await startTestPlatform({ OUTBOX_INTERVAL_MS: '600000', LAPSE_INTERVAL_MS: '600000' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('reads the permit and every licence by id, a fixed number of lookups each', async () => {
    const permits = await buildScanScenarios(t.walk);
    const services = {
      permit: t.platform.serviceUrls.permit,
      'market-regulation': t.platform.serviceUrls['market-regulation'],
      'fire-rescue': t.platform.serviceUrls['fire-rescue'],
      health: t.platform.serviceUrls.health,
    };
    const perScan: Record<string, Record<string, number>> = {};
    const sweeps: Record<string, number>[] = [];
    await waitForQuiet(t.platform.serviceUrls);
    for (const [name, permit] of Object.entries(permits)) {
      const scans = 10;
      const scanAll = async () => {
        for (let i = 0; i < scans; i++) {
          const scanned = (await t.walk.scan(permit.code))!;
          expect(scanned.items.filter((item) => item.licence?.status === 'VALID')).toHaveLength(permit.licences);
        }
      };
      const counts = await countDatabaseCommands(services, async () => {
        sweeps.push(await countDatabaseCommands(services, scanAll, 'find:sweep'));
      });
      perScan[name] = Object.fromEntries(Object.entries(counts).map(([s, n]) => [s, n / scans]));
    }
    // Not one query that reads a whole collection.
    for (const counted of sweeps) expect(Object.values(counted).every((n) => n === 0)).toBe(true);
    // A department reads all its licences on the permit (each with its ending and first change) in one query, however many.
    const licencesOf = (scenario: string, department: string) => SCAN_SCENARIOS[scenario].filter((i) => i.department === department).length;
    for (const scenario of Object.keys(SCAN_SCENARIOS)) {
      for (const department of ['market-regulation', 'fire-rescue', 'health']) {
        expect(perScan[scenario][department]).toBe(licencesOf(scenario, department) > 0 ? 1 : 0);
      }
    }
    // The permit's own part does not depend on its licences: by code (the code's alias, then the
    // version with its facts in one query), then again by id for `overallState`, which the gateway
    // asks once the licences' states are in.
    expect(perScan['scan-2'].permit).toBe(perScan['scan-8'].permit);
    expect(perScan['scan-2'].permit).toBe(3);
  });
});
