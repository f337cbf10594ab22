import { countDatabaseCommands, waitForQuiet } from '../../scripts/lib/metrics';
import { buildScanScenarios } from '../../scripts/lib/scan-scenarios';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * A scan costs each department one database query however many of its
 * licences the permit lists: the planner sends one `_entities` call per
 * department, and the department's DataLoader batches it into one `$in`.
 * Counted from the driver's command monitoring (each service's /metrics).
 */
describe('database queries per scan', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    // No timed outbox sweeps: every query counted below comes from the scans (writes still kick the relay).
    t = await startTestPlatform({ OUTBOX_INTERVAL_MS: '600000' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('does not grow with the number of licences of one department', async () => {
    const permits = await buildScanScenarios(t.walk);
    const services = {
      permit: t.platform.serviceUrls.permit,
      'market-regulation': t.platform.serviceUrls['market-regulation'],
      'fire-rescue': t.platform.serviceUrls['fire-rescue'],
    };
    const perScan: Record<string, Record<string, number>> = {};
    await waitForQuiet(t.platform.serviceUrls);
    for (const [name, permit] of Object.entries(permits)) {
      const scans = 10;
      const counts = await countDatabaseCommands(services, async () => {
        for (let i = 0; i < scans; i++) {
          const scanned = (await t.walk.scan(permit.code))!;
          expect(scanned.items.filter((item) => item.licence?.status === 'VALID')).toHaveLength(permit.licences);
        }
      });
      perScan[name] = Object.fromEntries(Object.entries(counts).map(([s, n]) => [s, n / scans]));
    }
    // 1, 4 and 6 market-regulation licences: one query each time.
    expect(perScan['scan-2']['market-regulation']).toBe(1);
    expect(perScan['scan-5']['market-regulation']).toBe(1);
    expect(perScan['scan-8']['market-regulation']).toBe(1);
    expect(perScan['scan-8']['fire-rescue']).toBe(1);
    expect(perScan['scan-2'].permit).toBe(perScan['scan-8'].permit);
  });
});
