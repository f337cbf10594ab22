import { issuedPermit, ONE_ITEM, publishTestIndustries, trials } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';

describe('profile', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
    await publishTestIndustries(t.walk);
  });
  afterAll(async () => {
    await t?.stop();
  });
  it('times', async () => {
    for (const [n, p] of [[10, 1], [20, 5], [20, 5]]) {
      const start = Date.now();
      await trials(n, p, async () => issuedPermit(t.walk, ONE_ITEM.code));
      console.log(`n=${n} p=${p}: ${Date.now() - start} ms`);
    }
  }, 600000);
});
