import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import type { Identity } from '../../shared/identity';
import { REPO_ROOT } from '../../shared/registry';
import { beijingToday } from '../../shared/beijing-calendar';
import { graphqlData } from '../support/client';
import { sampleBusiness } from '../support/sample-values';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The bureau's dashboard in real headless Chromium: every panel draws its
 * chart from what the API gives the viewer's role, the figures beside each
 * chart are the API's numbers, a panel the role may not see says so, and the
 * page logs no error. The screenshot is kept in .data/screenshots/.
 */
describe('the bureau dashboard in a real browser', () => {
  let t: TestPlatform;
  let browser: Browser;
  const shots = join(REPO_ROOT, '.data', 'screenshots');
  const ANALYST: Identity = { role: 'ANALYST', subject: 'analyst-01' };

  beforeAll(async () => {
    t = await startTestPlatform();
    // Some history: two permits in a one-item industry, one of them after a supplement notice, and an item denied elsewhere.
    await t.walk.publishIndustry('dashboard-shop', [{ itemCode: 'UM-SIGNBOARD', department: 'urban-management' }]);
    await t.walk.issuedPermit('dashboard-shop', {}, sampleBusiness(1301));
    await t.walk.issuedPermit('dashboard-shop', {}, sampleBusiness(1302));
    await t.walk.issuedPermit('restaurant', { ownSewerConnection: true }, sampleBusiness(1303), ['WA-DRAINAGE']);
    const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    if (!existsSync(executablePath)) throw new Error(`No Chromium at ${executablePath}: apt-get install chromium fonts-wqy-microhei (or set CHROMIUM_PATH)`);
    browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-background-networking'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** Opens the dashboard as `identity`, waits until it has drawn, and collects what the page logged as errors. */
  async function open(identity: Identity): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${t.documentsUrl}/dashboard#token=${encodeURIComponent(await t.token(identity))}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    return { page, errors };
  }
  const figure = (page: Page, panel: string, name: string) => page.locator(`[data-panel="${panel}"] [data-figure="${name}"]`).innerText();
  const percent = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

  it('draws every panel for an admin, each figure the number the API gives, without a console error', async () => {
    const { page, errors } = await open(t.walk.admin());
    const token = await t.token(t.walk.admin());
    const api = await graphqlData<{
      permitsIssuedPerWeek: { issued: number; industryCode: string }[];
      processingStatistics: { intake: { submitted: number; supplementRate: number | null; denialRate: number | null; itemsDecided: number } };
      itemsDue: { clock: { overdue: boolean } }[];
      reformFigures: unknown[];
      rolloutBoard: { stage: string }[];
      supervisionFigures: { inspections: number };
    }>(
      t.graphqlUrl,
      `query ($y: Int!) { permitsIssuedPerWeek(weeks: 12) { issued industryCode } processingStatistics { intake { submitted supplementRate denialRate itemsDecided } }
        itemsDue(includeNearDue: true) { clock { overdue } } reformFigures { industryCode } rolloutBoard { stage } supervisionFigures(year: $y) { inspections } }`,
      { y: Number(beijingToday().slice(0, 4)) },
      token,
    );
    for (const panel of ['permits', 'processing', 'due', 'reform', 'rollout', 'supervision']) {
      expect(await page.locator(`[data-panel="${panel}"]`).getAttribute('data-state')).toBe('drawn');
      expect(await page.locator(`[data-panel="${panel}"] canvas[data-drawn="true"]`).count()).toBeGreaterThan(0);
    }
    const issued = api.permitsIssuedPerWeek.reduce((s, r) => s + r.issued, 0);
    expect(issued).toBe(3);
    expect(await figure(page, 'permits', 'permitsIssued')).toBe(String(issued));
    expect(await figure(page, 'permits', 'industriesIssuing')).toBe(String(new Set(api.permitsIssuedPerWeek.map((r) => r.industryCode)).size));
    const intake = api.processingStatistics.intake;
    expect(await figure(page, 'processing', 'submitted')).toBe(String(intake.submitted));
    expect(await figure(page, 'processing', 'itemsDecided')).toBe(String(intake.itemsDecided));
    expect(await figure(page, 'processing', 'denialRate')).toBe(percent(intake.denialRate));
    expect(intake.denialRate).toBeGreaterThan(0);
    expect(await figure(page, 'due', 'overdue')).toBe(String(api.itemsDue.filter((d) => d.clock.overdue).length));
    expect(await figure(page, 'reform', 'industries')).toBe(String(api.reformFigures.length));
    expect(await figure(page, 'rollout', 'stageLIVE')).toBe(String(api.rolloutBoard.filter((e) => e.stage === 'LIVE').length));
    expect(await figure(page, 'supervision', 'inspections')).toBe(String(api.supervisionFigures.inspections));
    // The token left the address bar for the tab's own storage.
    expect(page.url()).not.toContain('token=');
    expect(errors).toEqual([]);

    const png = await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
    // Charts drew colour: the chart palette's blue (#1f6feb) covers a good part of the page.
    const image = PNG.sync.read(png);
    let blue = 0;
    for (let i = 0; i < image.data.length; i += 4) if (Math.abs(image.data[i] - 0x1f) < 12 && Math.abs(image.data[i + 1] - 0x6f) < 12 && Math.abs(image.data[i + 2] - 0xeb) < 12) blue++;
    expect(blue).toBeGreaterThan(2000);
    await page.close();
  });

  it("shows an analyst the panels their role may see and says which it may not", async () => {
    const { page, errors } = await open(ANALYST);
    // Analysts do not see the due list (the window's and the bureau's work queue).
    expect(await page.locator('[data-panel="due"]').getAttribute('data-state')).toBe('refused');
    expect(await page.locator('[data-panel="due"] .note').innerText()).toMatch(/仅限|only/i);
    expect(await page.locator('[data-panel="processing"]').getAttribute('data-state')).toBe('drawn');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('asks for a sign-in without a token, and refuses a forged one', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.documentsUrl}/dashboard`);
    await page.waitForSelector('#signin:not([hidden])');
    await page.close();
    const forged = await browser.newPage();
    await forged.goto(`${t.documentsUrl}/dashboard#token=not-a-token`);
    await forged.waitForFunction(() => document.getElementById('status')!.textContent!.includes('invalid'));
    expect(await forged.locator('[data-panel="permits"]').getAttribute('data-state')).toBe('loading');
    await forged.close();
  });
});
