import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { sampleBusiness, sampleValues } from '../support/sample-values';
import { REPO_ROOT } from '../../shared/registry';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The scan page as a phone shows it: real headless Chromium (the Debian
 * package; CHROMIUM_PATH to use another), a phone-sized viewport, and a
 * screenshot checked for what a person would see. Screenshots are kept in
 * .data/screenshots/ for a human look.
 */
describe('the scan page in a real browser', () => {
  let t: TestPlatform;
  let browser: Browser;
  let permit: { code: string; scanUrl: string };
  const business = sampleBusiness(601);
  const shots = join(REPO_ROOT, '.data', 'screenshots');

  beforeAll(async () => {
    t = await startTestPlatform();
    const answers = { ownSewerConnection: true };
    const form = await t.walk.form('restaurant', answers);
    const app = await t.walk.accept((await t.walk.submit(t.walk.clerk(), 'restaurant', answers, sampleValues(form.sections.flatMap((s) => s.fields), business))).id);
    for (const item of app.items) {
      await t.walk.waitForReview(item.departmentCode, item.reviewId);
      if (item.departmentCode === 'water') await t.walk.decide(item.departmentCode, item.reviewId, { approve: false, reasons: ['排水设施未建成'] });
      else await t.walk.decide(item.departmentCode, item.reviewId, { approve: true });
    }
    await t.walk.waitUntilDecided(app.id);
    permit = await t.walk.issuePermit(app.id);
    const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    if (!existsSync(executablePath)) {
      throw new Error(`No Chromium at ${executablePath}: apt-get install chromium fonts-wqy-microhei (or set CHROMIUM_PATH)`);
    }
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-background-networking'],
    });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const phone = () => browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'zh-CN' });

  it('shows the face, the verified QR, every licence live and the overall state, fitting a phone screen', async () => {
    const page = await phone();
    const response = await page.goto(permit.scanUrl);
    expect(response!.status()).toBe(200);
    await expect(page.locator('#verification').getAttribute('data-result')).resolves.toBe('AUTHENTIC');
    await expect(page.locator('#overall-state').innerText()).resolves.toContain('有效（含未许可事项）');
    expect(await page.locator('.item').count()).toBe(3);
    const items = await page.locator('.item').allInnerTexts();
    expect(items[0]).toContain('食品经营许可');
    expect(items[0]).toContain('有效');
    expect(items[2]).toContain('未许可');
    const face = await page.locator('dl').innerText();
    expect(face).toContain(business.companyName);
    expect(face).toContain('张**'); // masked
    expect(face).not.toContain('张三丰');
    // Chinese renders as glyphs, not as empty boxes: two different characters draw differently in the page's font.
    const glyphsDiffer = await page.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 48;
      const context = canvas.getContext('2d')!;
      context.font = `32px ${getComputedStyle(document.body).fontFamily}`;
      const draw = (text: string) => {
        context.clearRect(0, 0, 48, 48);
        context.fillText(text, 4, 36);
        return canvas.toDataURL();
      };
      return draw('凭') !== draw('证');
    });
    expect(glyphsDiffer).toBe(true);
    // Mobile-first: nothing wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    const file = join(shots, 'scan-valid.png');
    const png = await page.screenshot({ path: file, fullPage: true });
    const image = PNG.sync.read(png);
    expect(image.width).toBe(780); // 390 css px at 2x
    // It rendered: the green state banner is there, and the page is not blank.
    const colours = pixelCounts(image);
    expect(colours.green).toBeGreaterThan(2000);
    expect(colours.dark).toBeGreaterThan(5000);
    await page.close();
  });

  it('takes a complaint from the scan page form and shows its receipt; too short a text comes back refused', async () => {
    const page = await phone();
    await page.goto(permit.scanUrl);
    await expect(page.locator('#last-inspection').getAttribute('data-result')).resolves.toBe('NONE');
    // The browser's own check stops a text under 10 characters before it is sent.
    await page.fill('#complaint textarea[name="text"]', '太差');
    await page.click('#complaint button[type="submit"]');
    expect(page.url()).toBe(permit.scanUrl);
    await page.selectOption('#complaint select[name="itemCode"]', 'MR-FOOD-BUSINESS');
    await page.fill('#complaint textarea[name="text"]', '后厨操作间地面积水，餐具未消毒');
    await Promise.all([page.waitForNavigation(), page.click('#complaint button[type="submit"]')]);
    await expect(page.locator('#complaint-receipt').innerText()).resolves.toContain('market-regulation');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.close();
  });

  it('shows a tampered QR as a failed check, with nothing of the permit', async () => {
    const page = await phone();
    const signature = new URL(permit.scanUrl).searchParams.get('s')!;
    const tampered = permit.scanUrl.replace(signature, `${signature.slice(0, -3)}${signature.endsWith('AAA') ? 'BBB' : 'AAA'}`);
    const response = await page.goto(tampered);
    expect(response!.status()).toBe(409);
    await expect(page.locator('#verification').getAttribute('data-result')).resolves.toBe('BAD_SIGNATURE');
    expect(await page.locator('body').innerText()).not.toContain(business.companyName);
    const png = await page.screenshot({ path: join(shots, 'scan-tampered.png') });
    expect(pixelCounts(PNG.sync.read(png)).red).toBeGreaterThan(1000);
    await page.close();
  });
});

/** Rough colour census of a screenshot: enough to tell a rendered page from a blank one. */
function pixelCounts(image: PNG) {
  const counts = { green: 0, red: 0, dark: 0 };
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
    if (r < 100 && g < 100 && b < 100) counts.dark++;
    // The state banners' backgrounds: #e6f4ea (green) and #fce8e6 (red).
    if (Math.abs(r - 0xe6) < 6 && Math.abs(g - 0xf4) < 6 && Math.abs(b - 0xea) < 6) counts.green++;
    if (Math.abs(r - 0xfc) < 6 && Math.abs(g - 0xe8) < 6 && Math.abs(b - 0xe6) < 6) counts.red++;
  }
  return counts;
}

