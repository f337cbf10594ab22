import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import jsQR from 'jsqr';
import { decodeQr, rasterisePdf } from '../support/pdf';
import { formatIssueDateZh, renderCertificateHtml, renderCertificatePdf, type CertificateData } from '../../documents/certificate';

const SAMPLE_PDF = '/tmp/certificate-sample.pdf';
const SAMPLE_PNG = '/tmp/certificate-sample.png';
const DPI = 150;
const rasterise = rasterisePdf;

const sample = (overrides: Partial<CertificateData> = {}): CertificateData => ({
  code: 'SY-2025-000123',
  version: 2,
  status: 'VALID',
  licenceIdentifier: '1.2.156.3005.2.11000000000000000X.110113.SY2025000123.002.7',
  industryNameZh: '便利店（含食品销售）',
  industryNameEn: 'Convenience store (with food sales)',
  holderName: '北京顺义示例便利店有限公司',
  holderCreditCode: '91110000802100433B',
  legalRepresentative: '张晓明',
  businessAddress: '北京市顺义区仁和镇府前中街12号院3号楼1层101',
  issuedAt: '2025-03-13T16:30:00Z', // 00:30 on 14 March in Beijing
  issuerNameZh: '北京市顺义区政务服务局',
  scanUrl: 'https://permit.shunyi.example/scan/SY-2025-000123?v=2',
  items: [
    {
      itemNameZh: '食品经营许可',
      itemNameEn: 'Food business licence',
      departmentNameZh: '北京市顺义区市场监督管理局',
      permitted: true,
      licenceNumber: 'JY11101130123456',
      licenceStatus: 'VALID',
      notPermittedReasons: null,
      remedy: null,
    },
    {
      itemNameZh: '酒类商品零售许可',
      itemNameEn: 'Alcohol retail',
      departmentNameZh: '北京市顺义区商务局',
      permitted: true,
      licenceNumber: null,
      licenceStatus: null,
      notPermittedReasons: null,
      remedy: null,
    },
    {
      itemNameZh: '烟草专卖零售许可',
      itemNameEn: 'Tobacco monopoly retail licence',
      departmentNameZh: '北京市顺义区烟草专卖局',
      permitted: false,
      licenceNumber: null,
      licenceStatus: null,
      notPermittedReasons: ['经营场所与最近的中小学校距离不足50米'],
      remedy: { reconsiderationZh: '北京市顺义区人民政府', courtZh: '北京市顺义区人民法院' },
    },
  ],
  ...overrides,
});

const qrPng = (url: string) => QRCode.toBuffer(url, { type: 'png', width: 320, margin: 2, errorCorrectionLevel: 'M' });
const qrSvg = (url: string) => QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });

describe('certificate HTML', () => {
  it('shows the face fields, the items with the refusal noted, and the QR code', async () => {
    const data = sample();
    const svg = await qrSvg(data.scanUrl);
    const html = renderCertificateHtml(data, svg);

    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('size: A4 landscape');
    expect(html).toContain('综合许可凭证');
    expect(html).toContain('COMPREHENSIVE PERMIT');
    for (const value of [
      data.code,
      data.licenceIdentifier,
      data.holderName,
      data.holderCreditCode,
      data.legalRepresentative, // in full: the printed certificate is the holder's own document
      data.businessAddress,
      data.industryNameZh,
      data.industryNameEn,
      data.issuerNameZh,
      '第 2 版',
      '2025年3月14日',
    ]) {
      expect(html).toContain(value);
    }
    for (const item of data.items) {
      expect(html).toContain(item.itemNameZh);
      expect(html).toContain(item.departmentNameZh);
    }
    expect(html).toContain('JY11101130123456');
    // the refused item says so, with its reason, in the same table row
    const refusedRow = html.split('<tr').find((row) => row.includes('烟草专卖零售许可'))!;
    expect(refusedRow).toContain('未许可');
    expect(refusedRow).toContain('经营场所与最近的中小学校距离不足50米');
    expect((html.match(/未许可/g) ?? []).length).toBe(1);
    // with where to challenge the refusal: the deciding side's reconsideration body and court
    expect(refusedRow).toContain('复议 北京市顺义区人民政府');
    expect(refusedRow).toContain('诉讼 北京市顺义区人民法院');
    // the QR code is inlined as given
    expect(html).toContain(svg.trim());
    // the seal is marked as a stand-in, and a valid certificate has no watermark
    expect(html).toContain('非电子印章');
    expect(html).not.toContain('class="watermark"');
  });

  it('never prints an ended licence as permitted: a void certificate says which licence ended and how', () => {
    const base = sample();
    const data = sample({
      status: 'VOID',
      items: [{ ...base.items[0], licenceStatus: 'REVOKED' }, { ...base.items[1], licenceNumber: 'SW-1', licenceStatus: 'ENDED' }, base.items[2]],
    });
    const html = renderCertificateHtml(data, '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    const row = (name: string) => html.split('<tr').find((r) => r.includes(name))!;
    expect(row('食品经营许可')).toContain('许可证已吊销');
    expect(row('食品经营许可')).toContain('JY11101130123456');
    expect(row('酒类商品零售许可')).toContain('许可证已终止');
    expect(html).not.toContain('已许可');
    expect(html).toContain('class="watermark"');
  });

  it('escapes every text it prints', async () => {
    const data = sample({
      holderName: '<script>alert("x")</script>示例 & Co',
      businessAddress: '"><img src=x onerror=alert(1)>',
    });
    data.items[2].notPermittedReasons = ['<b>理由</b>'];
    const html = renderCertificateHtml(data, await qrSvg(data.scanUrl));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>理由');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;示例 &amp; Co');
    expect(html).toContain('&lt;b&gt;理由&lt;/b&gt;');
  });

  it('refuses a QR "SVG" that carries active content', () => {
    expect(() => renderCertificateHtml(sample(), '<svg onload="alert(1)"></svg>')).toThrow(/active content/);
    expect(() => renderCertificateHtml(sample(), '<p>not svg</p>')).toThrow(/not an <svg>/);
  });

  it.each([
    ['VOID', '已作废 VOID'],
    ['SUPERSEDED', '已换发 SUPERSEDED'],
  ] as const)('marks a %s certificate with a diagonal watermark', async (status, mark) => {
    const data = sample({ status });
    const html = renderCertificateHtml(data, await qrSvg(data.scanUrl));
    expect(html).toContain(`<div class="watermark" aria-hidden="true">${mark}</div>`);
    expect(html).toMatch(/\.watermark \{[^}]*rotate\(-30deg\)/);
  });

  it('dates the certificate in Beijing time', () => {
    expect(formatIssueDateZh('2025-03-13T16:30:00Z')).toBe('2025年3月14日');
    expect(formatIssueDateZh('2025-12-31T15:59:59+00:00')).toBe('2025年12月31日');
    expect(() => formatIssueDateZh('yesterday')).toThrow(/not an instant/);
  });
});

describe('certificate PDF', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'certificate-test-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('prints a one-page A4 PDF whose QR code scans to the scan URL and whose Chinese text is real', async () => {
    const data = sample();
    const png = await qrPng(data.scanUrl);
    const pdf = await renderCertificatePdf(data, png);
    writeFileSync(SAMPLE_PDF, pdf);

    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const raw = pdf.toString('latin1');
    expect(raw).toMatch(/\/MediaBox \[0 0 841\.89 595\.28\]/); // A4 landscape
    expect(raw).toContain('/FontFile2'); // an embedded TrueType (subset) font
    expect(raw).toMatch(/\/Subtype \/Image/);

    const page = await rasterise(SAMPLE_PDF, SAMPLE_PNG);
    expect(page.pages).toBe(1);
    expect(Math.abs(page.width - (841.89 * DPI) / 72)).toBeLessThanOrEqual(1);
    expect(Math.abs(page.height - (595.28 * DPI) / 72)).toBeLessThanOrEqual(1);

    // The QR code read back from the rendered page, as a phone would from paper.
    const qr = jsQR(page.rgba, page.width, page.height, { inversionAttempts: 'dontInvert' });
    expect(qr).not.toBeNull();
    expect(qr!.data).toBe(data.scanUrl);
    // Printed at least 35 mm wide, quiet zone (2 modules each side) included.
    const modules = 17 + 4 * qr!.version;
    const symbolPx = Math.hypot(
      qr!.location.topRightCorner.x - qr!.location.topLeftCorner.x,
      qr!.location.topRightCorner.y - qr!.location.topLeftCorner.y,
    );
    const printedMm = ((symbolPx * (modules + 4)) / modules / DPI) * 25.4;
    expect(printedMm).toBeGreaterThanOrEqual(35);

    // Extracted text: the CJK glyphs map back to the characters (embedded font, no tofu).
    const text = page.text.replace(/\s+/g, '');
    for (const value of [
      '综合许可凭证',
      data.holderName,
      data.holderCreditCode,
      data.legalRepresentative,
      data.businessAddress,
      data.industryNameZh,
      data.code,
      data.licenceIdentifier,
      '2025年3月14日',
      '未许可',
      '经营场所与最近的中小学校距离不足50米',
      'JY11101130123456',
      '非电子印章',
    ]) {
      expect(text).toContain(value);
    }
    expect(text).not.toContain('已作废');
    expect(page.fonts.length).toBeGreaterThan(0);
    for (const font of page.fonts) expect(font).toMatch(/^\/[A-Z]{6}\+/); // subset-embedded, not a base-14 font
    expect(page.fonts.some((f) => /NotoSerifSC/.test(f) || Boolean(process.env.CJK_FONT_PATH))).toBe(true);
  });

  it('watermarks a void certificate, prints its ended licence as ended, and still prints its QR code legibly', async () => {
    const base = sample();
    const data = sample({ status: 'VOID', items: [{ ...base.items[0], licenceStatus: 'REVOKED' }, ...base.items.slice(1)] });
    const pdfPath = join(work, 'void.pdf');
    writeFileSync(pdfPath, await renderCertificatePdf(data, await qrPng(data.scanUrl)));
    const page = await rasterise(pdfPath, join(work, 'void.png'), 110);
    const text = page.text.replace(/\s+/g, '');
    expect(text).toContain('已作废VOID');
    expect(text).toContain('许可证已吊销');
    expect((text.match(/已许可/g) ?? []).length).toBe(1); // the alcohol licence only
    expect(text).toContain('复议北京市顺义区人民政府');
    expect(decodeQr(page)).toBe(data.scanUrl);
  });

  it('continues a long table of items on further pages', async () => {
    const data = sample();
    data.items = Array.from({ length: 14 }, (_, i) => ({ ...data.items[i % 3], itemNameZh: `许可事项${i + 1}号` }));
    const pdfPath = join(work, 'long.pdf');
    writeFileSync(pdfPath, await renderCertificatePdf(data, await qrPng(data.scanUrl)));
    const page = await rasterise(pdfPath, join(work, 'long.png'), 40);
    expect(page.pages).toBeGreaterThan(1);
    const text = page.text.replace(/\s+/g, '');
    for (let i = 1; i <= 14; i++) expect(text).toContain(`许可事项${i}号`);
    expect(text).toContain('（续页）');
    expect(text).toContain(`第1页共${page.pages}页`);
  });

  it('refuses a QR image that is not a PNG', async () => {
    await expect(renderCertificatePdf(sample(), Buffer.from('not a png'))).rejects.toThrow(/not a PNG/);
  });
});
