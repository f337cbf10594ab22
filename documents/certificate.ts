import { readFile } from 'node:fs/promises';
import PDFDocument from 'pdfkit';
import { beijingDate, chineseDate } from '../shared/beijing-calendar';
import { licenceStatusText, PERMIT_STATUS_TEXT } from '../shared/permit-state';
import { documentsConfig } from './config';
import { escapeHtml } from './html';

/**
 * The printed 综合许可凭证 (comprehensive permit): printable HTML and a PDF.
 *
 * The official sample face has not been published, so this is a sober A4
 * landscape layout: title, face fields, the QR code, a table of the permitted
 * items, the issuer and date, and a red circular seal that is only a drawn
 * stand-in (it is not an electronic seal and says so on the page).
 *
 * The PDF embeds a CJK font (Noto Serif SC from the npm package
 * `@expo-google-fonts/noto-serif-sc`, SIL OFL 1.1); `CJK_FONT_PATH` (and
 * optionally `CJK_FONT_BOLD_PATH`) point it at another TTF/OTF/WOFF/WOFF2 file,
 * or at a TTC/OTC collection together with `CJK_FONT_POSTSCRIPT_NAME` /
 * `CJK_FONT_BOLD_POSTSCRIPT_NAME` (e.g. Debian's fonts-noto-cjk:
 * /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc with NotoSerifCJKsc-Regular).
 */

export interface CertificateData {
  code: string; // permit code (凭证编号)
  version: number; // 第 n 版
  status: 'VALID' | 'VOID' | 'SUPERSEDED';
  licenceIdentifier: string; // GB/T 36904 electronic licence identifier, e.g. 1.2.156.3005.2.…
  industryNameZh: string;
  industryNameEn: string;
  holderName: string; // 名称
  holderCreditCode: string; // 统一社会信用代码
  legalRepresentative: string; // 法定代表人（负责人）, shown in full: it is the holder's own document
  businessAddress: string; // 经营场所
  issuedAt: string; // ISO date-time
  issuerNameZh: string; // 北京市顺义区政务服务局
  scanUrl: string; // exactly what the QR code encodes
  items: {
    itemNameZh: string;
    itemNameEn: string;
    departmentNameZh: string;
    permitted: boolean;
    licenceNumber: string | null;
    /** The licence's live state (null when its department did not answer, or no licence). */
    licenceStatus: string | null;
    notPermittedReasons: string[] | null;
    /** Where a refusal can be challenged (not-permitted items). */
    remedy: { reconsiderationZh: string; courtZh: string } | null;
  }[];
}

type Item = CertificateData['items'][number];

// ---------------------------------------------------------------------------
// Shared wording

const TITLE_ZH = '综合许可凭证';
const TITLE_EN = 'COMPREHENSIVE PERMIT';

const FIELD_LABELS = {
  holderName: { zh: '名称', en: 'Name' },
  holderCreditCode: { zh: '统一社会信用代码', en: 'Unified social credit code' },
  legalRepresentative: { zh: '法定代表人（负责人）', en: 'Legal representative (person in charge)' },
  businessAddress: { zh: '经营场所', en: 'Business premises' },
  industry: { zh: '行业', en: 'Industry' },
} as const;

const COLUMN_LABELS = {
  index: { zh: '序号', en: 'No.' },
  item: { zh: '许可事项', en: 'Licensed item' },
  department: { zh: '审批部门', en: 'Approving department' },
  result: { zh: '许可结果 / 许可证号', en: 'Result / licence number' },
} as const;

const NOTES: { zh: string; en: string }[] = [
  {
    zh: '扫描二维码可查验本凭证及各项许可的实时状态，以查验结果为准。',
    en: 'Scan the QR code to verify the current status of this permit and of each licence; the verified status prevails.',
  },
  {
    zh: '本件为电子证照的打印件；所示印章为样式示意，并非电子印章。',
    en: 'This is a printout of an electronic licence; the seal shown is a stand-in, not an electronic seal.',
  },
];

const SEAL_STAND_IN = { zh: '印章样式示意（非电子印章）', en: 'Seal stand-in, not an e-seal' };

/** 2025年3月14日: the Beijing calendar day of the issue. */
export function formatIssueDateZh(iso: string): string {
  return chineseDate(beijingDate(iso));
}

/** What the result column says: never "已许可" for a licence that has ended; a refusal with its reasons and remedy. */
function resultText(item: Item): { zh: string; en: string; detail: string | null; alert: boolean } {
  const number = item.licenceNumber ? `许可证号 Licence No. ${item.licenceNumber}` : null;
  if (item.permitted && item.licenceStatus && item.licenceStatus !== 'VALID') {
    const ended = licenceStatusText(item.licenceStatus);
    return { zh: `许可证${ended.zh}`, en: `Licence ${ended.en.toLowerCase()}`, detail: number, alert: true };
  }
  if (item.permitted) return { zh: '已许可', en: 'Permitted', detail: number, alert: false };
  const reasons = (item.notPermittedReasons ?? []).map((r) => r.trim()).filter(Boolean);
  const lines = [`原因 Reason：${reasons.length ? reasons.join('；') : '未说明 not stated'}`];
  if (item.remedy) lines.push(`救济：复议 ${item.remedy.reconsiderationZh}；诉讼 ${item.remedy.courtZh}`);
  return { zh: '未许可', en: 'Not permitted', detail: lines.join('；'), alert: true };
}

// ---------------------------------------------------------------------------
// HTML

/**
 * The QR SVG comes from our own generator (qrcode's `toString(url, { type: 'svg' })`)
 * and is inserted as markup, so refuse anything that is not a plain SVG.
 */
function checkQrSvg(qrSvg: string): string {
  const svg = qrSvg.replace(/^\s*(<\?xml[^>]*\?>\s*)?/, '').trim();
  if (!/^<svg[\s>]/i.test(svg) || !/<\/svg>$/i.test(svg)) throw new Error('certificate: qrSvg is not an <svg> element');
  if (/<script|<foreignObject|\son[a-z]+\s*=|javascript:|<iframe|<object|<embed/i.test(svg)) {
    throw new Error('certificate: qrSvg contains active content');
  }
  return svg;
}

function sealSvg(issuer: string): string {
  // A vector stand-in for the issuer's round seal: ring, name along the top arc, star.
  const n = Math.max(Array.from(issuer).length, 1);
  const span = Math.min(230, 21 * n); // degrees
  const r = 68;
  const half = (span / 2) * (Math.PI / 180);
  const [x0, x1, yArc] = [100 - r * Math.sin(half), 100 + r * Math.sin(half), 100 - r * Math.cos(half)];
  const arcLength = r * span * (Math.PI / 180);
  const size = Math.min(26, (arcLength / n) * 0.86);
  const arc = `M ${x0.toFixed(1)} ${yArc.toFixed(1)} A ${r} ${r} 0 ${span > 180 ? 1 : 0} 1 ${x1.toFixed(1)} ${yArc.toFixed(1)}`;
  return `<svg class="seal" viewBox="0 0 200 200" role="img" aria-label="${escapeHtml(`${issuer} ${SEAL_STAND_IN.zh} ${SEAL_STAND_IN.en}`)}">
<defs><path id="seal-arc" d="${arc}"/></defs>
<circle cx="100" cy="100" r="95" fill="none" stroke="currentColor" stroke-width="5"/>
<text font-size="${size.toFixed(1)}" font-weight="700" fill="currentColor"><textPath href="#seal-arc" startOffset="50%" text-anchor="middle" textLength="${(arcLength * 0.97).toFixed(1)}" lengthAdjust="spacing">${escapeHtml(issuer)}</textPath></text>
<polygon fill="currentColor" points="${starPoints(100, 102, 30).map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>
<text x="100" y="160" font-size="13" text-anchor="middle" fill="currentColor">样式示意</text>
</svg>`;
}

function starPoints(cx: number, cy: number, r: number): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? r : r * 0.382;
    const angle = (Math.PI / 5) * i - Math.PI / 2;
    points.push([cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)]);
  }
  return points;
}

const HTML_STYLE = `
@page { size: A4 landscape; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { background: #e9e9e9; color: #1a1a1a; font-family: "Noto Serif SC", "Source Han Serif SC", "Noto Serif CJK SC", "Songti SC", SimSun, serif; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.en { font-size: 7.5pt; color: #555; font-weight: 400; letter-spacing: 0; }
.sheet { position: relative; width: 297mm; min-height: 210mm; margin: 8mm auto; padding: 14mm 17mm 12mm; background: #fff; overflow: hidden; }
.frame { position: absolute; inset: 6.3mm; border: 2pt solid #6b2b2b; pointer-events: none; }
.frame::after { content: ""; position: absolute; inset: 1.2mm; border: 0.6pt solid #6b2b2b; }
header.top { display: flex; justify-content: space-between; font-size: 8pt; color: #333; }
header.top .id { font-family: ui-monospace, Menlo, Consolas, monospace; }
h1 { margin: 3mm 0 0; text-align: center; font-size: 30pt; font-weight: 700; letter-spacing: 0.4em; text-indent: 0.4em; }
.title-en { text-align: center; font-size: 9.5pt; letter-spacing: 0.3em; color: #555; margin-top: 1mm; }
.industry { text-align: center; font-size: 12.5pt; font-weight: 700; margin-top: 3mm; }
.industry .en { display: inline; font-size: 9pt; margin-left: 2mm; }
.face { display: flex; gap: 8mm; margin-top: 4mm; }
.face dl { flex: 1; margin: 0; display: grid; grid-template-columns: 52mm 1fr; row-gap: 2.2mm; align-items: baseline; }
.face dt { font-size: 10.5pt; font-weight: 700; }
.face dt .en { display: block; }
.face dd { margin: 0; font-size: 12pt; overflow-wrap: anywhere; }
.face dd .en { display: block; font-size: 8.5pt; }
.face dd.mono { letter-spacing: 0.06em; }
.qr { width: 40mm; flex: none; text-align: center; }
.qr .code { width: 40mm; height: 40mm; }
.qr .code svg { width: 100%; height: 100%; display: block; }
.qr figcaption { font-size: 8.5pt; margin-top: 1mm; }
table.items { width: 100%; border-collapse: collapse; margin-top: 5mm; font-size: 10pt; }
table.items th, table.items td { border: 0.6pt solid #444; padding: 1.4mm 2mm; text-align: left; vertical-align: top; }
table.items th { background: #f3efe8; font-size: 9.5pt; }
table.items th .en { display: block; }
table.items td.index { text-align: center; width: 12mm; }
table.items td .en { display: block; }
table.items tr { break-inside: avoid; }
.result.permitted .state { font-weight: 700; }
.result.not-permitted .state { font-weight: 700; color: #a31515; }
.result .detail { display: block; font-size: 8.5pt; margin-top: 0.6mm; white-space: pre-line; }
footer.bottom { display: flex; justify-content: space-between; align-items: flex-end; margin-top: 6mm; break-inside: avoid; }
.notes { max-width: 150mm; font-size: 8pt; color: #333; margin: 0; padding-left: 4mm; }
.notes li { margin-bottom: 1mm; }
.issuer { width: 82mm; text-align: center; }
.issuer .label { font-size: 9pt; }
.issuer .name { font-size: 13pt; font-weight: 700; margin: 1mm 0 3mm; }
.issuer .date { position: relative; font-size: 12.5pt; }
.issuer .date time { position: relative; z-index: 1; }
.issuer svg.seal { position: absolute; width: 38mm; height: 38mm; left: calc(50% + 6mm); top: calc(50% + 2mm); transform: translate(-50%, -50%); color: #d7000f; opacity: 0.78; pointer-events: none; z-index: 0; }
.issuer .label, .issuer .name { position: relative; z-index: 1; }
.issuer .stand-in { font-size: 6.5pt; color: #a31515; margin-top: 18mm; }
.watermark { position: absolute; left: 50%; top: 50%; transform: translate(-50%, -50%) rotate(-30deg); font-size: 64pt; font-weight: 700; color: #c00; opacity: 0.18; white-space: nowrap; pointer-events: none; letter-spacing: 0.1em; z-index: 10; }
@media print { body { background: none; } .sheet { margin: 0; width: 297mm; min-height: 210mm; overflow: visible; } .frame, .watermark { position: fixed; } }
`;

export function renderCertificateHtml(data: CertificateData, qrSvg: string): string {
  const e = escapeHtml;
  const status = PERMIT_STATUS_TEXT[data.status];
  const svg = checkQrSvg(qrSvg);
  const dateZh = formatIssueDateZh(data.issuedAt);
  const label = (l: { zh: string; en: string }) => `${e(l.zh)}<span class="en">${e(l.en)}</span>`;

  const rows = data.items
    .map((item, i) => {
      const r = resultText(item);
      const cls = r.alert ? 'not-permitted' : 'permitted';
      return `<tr class="${cls}">
<td class="index">${i + 1}</td>
<td>${e(item.itemNameZh)}<span class="en">${e(item.itemNameEn)}</span></td>
<td>${e(item.departmentNameZh)}</td>
<td class="result ${cls}"><span class="state">${e(r.zh)} <span class="en" style="display:inline">${e(r.en)}</span></span>${r.detail ? `<span class="detail">${e(r.detail)}</span>` : ''}</td>
</tr>`;
    })
    .join('\n');

  const watermark =
    data.status === 'VALID' ? '' : `<div class="watermark" aria-hidden="true">${e(status.zh)} ${e(status.en.toUpperCase())}</div>`;

  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(TITLE_ZH)} ${e(data.code)} · ${e(data.holderName)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<main class="sheet status-${e(data.status.toLowerCase())}">
<div class="frame" aria-hidden="true"></div>
<header class="top">
<div>电子证照标识 <span class="en" style="font-size:7pt">Electronic licence ID</span> <span class="id">${e(data.licenceIdentifier)}</span></div>
<div>凭证编号 <span class="en" style="font-size:7pt">No.</span> <strong>${e(data.code)}</strong> · 第 ${e(data.version)} 版 <span class="en" style="font-size:7pt">Version ${e(data.version)}</span> · 状态 <span class="en" style="font-size:7pt">Status</span> <strong>${e(status.zh)}</strong> <span class="en" style="font-size:7pt">${e(status.en)}</span></div>
</header>
<h1>${e(TITLE_ZH)}</h1>
<div class="title-en">${e(TITLE_EN)}</div>
<div class="industry">${e(FIELD_LABELS.industry.zh)}：${e(data.industryNameZh)}<span class="en">${e(FIELD_LABELS.industry.en)}: ${e(data.industryNameEn)}</span></div>
<section class="face">
<dl>
<dt>${label(FIELD_LABELS.holderName)}</dt><dd>${e(data.holderName)}</dd>
<dt>${label(FIELD_LABELS.holderCreditCode)}</dt><dd class="mono">${e(data.holderCreditCode)}</dd>
<dt>${label(FIELD_LABELS.legalRepresentative)}</dt><dd>${e(data.legalRepresentative)}</dd>
<dt>${label(FIELD_LABELS.businessAddress)}</dt><dd>${e(data.businessAddress)}</dd>
</dl>
<figure class="qr" style="margin:0">
<div class="code">${svg}</div>
<figcaption>扫码查验 <span class="en" style="display:inline">Scan to verify</span></figcaption>
</figure>
</section>
<table class="items">
<thead><tr><th>${label(COLUMN_LABELS.index)}</th><th>${label(COLUMN_LABELS.item)}</th><th>${label(COLUMN_LABELS.department)}</th><th>${label(COLUMN_LABELS.result)}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<footer class="bottom">
<ol class="notes">
${NOTES.map((n) => `<li>${e(n.zh)}<br><span class="en">${e(n.en)}</span></li>`).join('\n')}
</ol>
<div class="issuer">
<div class="label">发证机关 <span class="en">Issuing authority</span></div>
<div class="name">${e(data.issuerNameZh)}</div>
<div class="label">发证日期 <span class="en">Date of issue</span></div>
<div class="date"><time datetime="${e(data.issuedAt)}">${e(dateZh)}</time>${sealSvg(data.issuerNameZh)}</div>
<div class="stand-in">${e(SEAL_STAND_IN.zh)} ${e(SEAL_STAND_IN.en)}</div>
</div>
</footer>
${watermark}
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------
// PDF

interface FontSource {
  data: Buffer;
  postscriptName?: string;
}

let fontsPromise: Promise<{ regular: FontSource; bold: FontSource }> | undefined;

/** The CJK font files, read once per process (pdfkit subsets them into each PDF). */
function loadFonts(): Promise<{ regular: FontSource; bold: FontSource }> {
  fontsPromise ??= (async () => {
    const { CJK_FONT_PATH: overridePath, CJK_FONT_BOLD_PATH, CJK_FONT_POSTSCRIPT_NAME, CJK_FONT_BOLD_POSTSCRIPT_NAME } = documentsConfig();
    const regularPath =
      overridePath || require.resolve('@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf');
    const boldPath = overridePath
      ? CJK_FONT_BOLD_PATH || overridePath
      : require.resolve('@expo-google-fonts/noto-serif-sc/700Bold/NotoSerifSC_700Bold.ttf');
    const [regularData, boldData] = await Promise.all([
      readFile(regularPath),
      boldPath === regularPath ? undefined : readFile(boldPath),
    ]);
    const regular: FontSource = { data: regularData, postscriptName: CJK_FONT_POSTSCRIPT_NAME || undefined };
    const bold: FontSource = {
      data: boldData ?? regularData,
      postscriptName:
        CJK_FONT_BOLD_POSTSCRIPT_NAME || (boldData ? undefined : regular.postscriptName),
    };
    return { regular, bold };
  })().catch((err: unknown) => {
    fontsPromise = undefined;
    throw new Error(
      `certificate: cannot load the CJK font (${err instanceof Error ? err.message : String(err)}); ` +
        'install @expo-google-fonts/noto-serif-sc or set CJK_FONT_PATH',
    );
  });
  return fontsPromise;
}

const MM = 72 / 25.4;
const INK = '#1a1a1a';
const GREY = '#555555';
const FRAME = '#6b2b2b';
const SEAL_RED = '#d7000f';
const ALERT = '#a31515';

type Doc = PDFKit.PDFDocument;

export async function renderCertificatePdf(data: CertificateData, qrPng: Buffer): Promise<Buffer> {
  if (!Buffer.isBuffer(qrPng) || qrPng.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') {
    throw new Error('certificate: qrPng is not a PNG image');
  }
  const fonts = await loadFonts();
  const status = PERMIT_STATUS_TEXT[data.status];
  const dateZh = formatIssueDateZh(data.issuedAt);

  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 0,
    bufferPages: true,
    lang: 'zh-CN',
    displayTitle: true,
    info: {
      Title: `${TITLE_ZH} ${data.code}`,
      Subject: `${TITLE_ZH} Comprehensive Permit — ${data.holderName}`,
      Author: data.issuerNameZh,
      Keywords: `${data.code} ${data.licenceIdentifier} ${data.holderCreditCode}`,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.registerFont('cjk', fonts.regular.data, fonts.regular.postscriptName as string);
  doc.registerFont('cjk-bold', fonts.bold.data, fonts.bold.postscriptName as string);

  const W = doc.page.width;
  const H = doc.page.height;
  const L = 17 * MM;
  const R = W - 17 * MM;
  const contentWidth = R - L;

  const text = (
    s: string,
    x: number,
    y: number,
    o: { size: number; bold?: boolean; color?: string; width?: number; align?: 'left' | 'center' | 'right'; spacing?: number; lineGap?: number },
  ): number => {
    doc.font(o.bold ? 'cjk-bold' : 'cjk').fontSize(o.size).fillColor(o.color ?? INK);
    const opts: PDFKit.Mixins.TextOptions = { lineBreak: o.width !== undefined, lineGap: o.lineGap ?? 1 };
    if (o.width !== undefined) opts.width = o.width;
    if (o.align) opts.align = o.align;
    if (o.spacing) opts.characterSpacing = o.spacing;
    doc.text(s, x, y, opts);
    return o.width !== undefined ? doc.heightOfString(s, opts) : doc.currentLineHeight(true);
  };
  const heightOf = (s: string, size: number, width: number, bold = false, lineGap = 1): number => {
    doc.font(bold ? 'cjk-bold' : 'cjk').fontSize(size);
    return doc.heightOfString(s, { width, lineGap });
  };
  const widthOf = (s: string, size: number, bold = false, spacing = 0): number => {
    doc.font(bold ? 'cjk-bold' : 'cjk').fontSize(size);
    return doc.widthOfString(s, { characterSpacing: spacing });
  };
  /** "中文 English" on one line, the English smaller and grey; returns the x after it. */
  const bilingual = (zh: string, en: string, x: number, y: number, size: number, bold = false): number => {
    text(zh, x, y, { size, bold });
    const zw = widthOf(zh, size, bold);
    const enSize = size * 0.72;
    text(en, x + zw + 3, y + (size - enSize) * 0.78, { size: enSize, color: GREY });
    return x + zw + 3 + widthOf(en, enSize);
  };

  const drawFrame = () => {
    doc.save();
    doc.lineWidth(2).strokeColor(FRAME).rect(6.3 * MM, 6.3 * MM, W - 12.6 * MM, H - 12.6 * MM).stroke();
    doc.lineWidth(0.6).rect(7.5 * MM, 7.5 * MM, W - 15 * MM, H - 15 * MM).stroke();
    doc.restore();
  };

  const drawTopLine = (y: number) => {
    let x = bilingual('电子证照标识', 'Electronic licence ID', L, y, 8);
    text(data.licenceIdentifier, x + 4, y, { size: 8 });
    const right = `凭证编号 No. ${data.code}\u3000第 ${data.version} 版 Version ${data.version}\u3000状态 Status ${status.zh} ${status.en}`;
    x = R - widthOf(right, 8);
    text(right, x, y, { size: 8 });
  };

  // ---- page 1: heading
  drawFrame();
  drawTopLine(12.5 * MM);

  const titleTop = 18.5 * MM;
  const titleSize = 29;
  const titleSpacing = 12;
  const titleWidth = widthOf(TITLE_ZH, titleSize, true, titleSpacing) - titleSpacing;
  text(TITLE_ZH, (W - titleWidth) / 2, titleTop, { size: titleSize, bold: true, spacing: titleSpacing });
  const subWidth = widthOf(TITLE_EN, 9.5, false, 3) - 3;
  text(TITLE_EN, (W - subWidth) / 2, titleTop + 40, { size: 9.5, color: GREY, spacing: 3 });

  // the industry this permit covers (一业一证: one industry, one permit), under the title
  const industryY = titleTop + 60;
  const indZh = `${FIELD_LABELS.industry.zh}：${data.industryNameZh}`;
  const indEn = `${FIELD_LABELS.industry.en}: ${data.industryNameEn}`;
  const indWidth = widthOf(indZh, 12.5, true) + 6 + widthOf(indEn, 9);
  let faceTop: number;
  if (indWidth <= contentWidth - 90 * MM) {
    const x = (W - indWidth) / 2;
    text(indZh, x, industryY, { size: 12.5, bold: true });
    text(indEn, x + widthOf(indZh, 12.5, true) + 6, industryY + 3, { size: 9, color: GREY });
    faceTop = industryY + 28;
  } else {
    const zhH = text(indZh, L + 45 * MM, industryY, { size: 12.5, bold: true, width: contentWidth - 90 * MM, align: 'center' });
    const enH = text(indEn, L + 45 * MM, industryY + zhH, { size: 9, color: GREY, width: contentWidth - 90 * MM, align: 'center' });
    faceTop = industryY + zhH + enH + 12;
  }

  // ---- face fields and QR code
  const qrSize = 37 * MM; // ≥ 35 mm so that phones read it from paper
  const qrX = R - qrSize;
  doc.image(qrPng, qrX, faceTop, { width: qrSize, height: qrSize });
  const captionY = faceTop + qrSize + 3;
  const capZh = '扫码查验';
  const capEn = 'Scan to verify';
  const capWidth = widthOf(capZh, 9) + 3 + widthOf(capEn, 9 * 0.72);
  bilingual(capZh, capEn, qrX + (qrSize - capWidth) / 2, captionY, 9);

  const labelWidth = 52 * MM;
  const valueX = L + labelWidth;
  const valueWidth = qrX - 8 * MM - valueX;
  const fields: { label: { zh: string; en: string }; value: string; spacing?: number }[] = [
    { label: FIELD_LABELS.holderName, value: data.holderName },
    { label: FIELD_LABELS.holderCreditCode, value: data.holderCreditCode, spacing: 0.8 },
    { label: FIELD_LABELS.legalRepresentative, value: data.legalRepresentative },
    { label: FIELD_LABELS.businessAddress, value: data.businessAddress },
  ];
  let y = faceTop;
  for (const f of fields) {
    const lh = text(f.label.zh, L, y + 1, { size: 10.5, bold: true, width: labelWidth - 4 });
    const le = text(f.label.en, L, y + 1 + lh, { size: 7, color: GREY, width: labelWidth - 4 });
    doc.font('cjk').fontSize(12);
    const vOpts: PDFKit.Mixins.TextOptions = { width: valueWidth, lineGap: 1, characterSpacing: f.spacing ?? 0 };
    doc.fillColor(INK).text(f.value, valueX, y, vOpts);
    const vh = doc.heightOfString(f.value, vOpts);
    y += Math.max(lh + le, vh) + 5;
  }
  const faceBottom = Math.max(y - 5, captionY + 14) + 8;

  // ---- the issuer block (fixed at the foot of page 1); the seal stand-in is drawn
  // first, centred on the date as a stamp would be, so the text stays legible on top
  const sealR = 19 * MM;
  const dateY = H - 13 * MM - sealR - 20;
  const footTop = dateY - sealR;
  const issuerWidth = 82 * MM;
  const issuerX = R - issuerWidth;
  const issuerCx = issuerX + issuerWidth / 2;
  drawSeal(doc, issuerCx + 6 * MM, dateY + 6, sealR, data.issuerNameZh);
  const centre = (s: string, yy: number, size: number, bold = false, color = INK) =>
    text(s, issuerCx - widthOf(s, size, bold) / 2, yy, { size, bold, color });
  const centreBilingual = (zh: string, en: string, yy: number, size: number) => {
    const w = widthOf(zh, size) + 3 + widthOf(en, size * 0.72);
    bilingual(zh, en, issuerCx - w / 2, yy, size);
  };
  centreBilingual('发证机关', 'Issuing authority', dateY - 46, 9);
  centre(data.issuerNameZh, dateY - 33, 13.5, true);
  centreBilingual('发证日期', 'Date of issue', dateY - 12, 9);
  centre(dateZh, dateY + 1, 12.5);
  centre(`${SEAL_STAND_IN.zh}  ${SEAL_STAND_IN.en}`, dateY + sealR + 10, 6.5, false, ALERT);

  // notes at the foot, left
  const notesWidth = issuerX - L - 10 * MM;
  let ny = dateY - 30;
  NOTES.forEach((n, i) => {
    ny += text(`${i + 1}. ${n.zh}`, L, ny, { size: 8, color: '#333333', width: notesWidth });
    ny += text(n.en, L + 9, ny, { size: 7, color: GREY, width: notesWidth - 9 }) + 4;
  });

  // ---- the items table, continued on further pages when it does not fit
  const cols = [12 * MM, 0, 52 * MM, 0];
  const rest = contentWidth - cols[0] - cols[2];
  cols[1] = rest * 0.46;
  cols[3] = rest - cols[1];
  const colX = cols.map((_, i) => L + cols.slice(0, i).reduce((a, b) => a + b, 0));
  const pad = 2 * MM;
  const cellPadY = 4;

  const headerHeight = 28;
  const drawHeader = (top: number) => {
    doc.save().rect(L, top, contentWidth, headerHeight).fill('#f3efe8').restore();
    const labels = [COLUMN_LABELS.index, COLUMN_LABELS.item, COLUMN_LABELS.department, COLUMN_LABELS.result];
    labels.forEach((l, i) => {
      const w = cols[i] - 2 * pad;
      const tx = i === 0 ? colX[i] + (cols[i] - widthOf(l.zh, 9.5, true)) / 2 : colX[i] + pad;
      text(l.zh, tx, top + 3, { size: 9.5, bold: true });
      const ex = i === 0 ? colX[i] + (cols[i] - widthOf(l.en, 7)) / 2 : colX[i] + pad;
      text(l.en, ex, top + 16, { size: 7, color: GREY, width: i === 0 ? undefined : w });
    });
    gridRow(top, headerHeight);
    return top + headerHeight;
  };
  const gridRow = (top: number, height: number) => {
    doc.save().lineWidth(0.6).strokeColor('#444444');
    doc.rect(L, top, contentWidth, height).stroke();
    for (let i = 1; i < cols.length; i++) doc.moveTo(colX[i], top).lineTo(colX[i], top + height).stroke();
    doc.restore();
  };

  const rowLayout = (item: Item) => {
    const r = resultText(item);
    const w1 = cols[1] - 2 * pad;
    const w2 = cols[2] - 2 * pad;
    const w3 = cols[3] - 2 * pad;
    const h1 = heightOf(item.itemNameZh, 10, w1) + heightOf(item.itemNameEn, 7.5, w1);
    const h2 = heightOf(item.departmentNameZh, 10, w2);
    const h3 = 13 + (r.detail ? heightOf(r.detail, 8, w3) + 1 : 0);
    return { r, w1, w2, w3, height: Math.max(h1, h2, h3) + 2 * cellPadY };
  };
  const drawRow = (item: Item, index: number, top: number, layout: ReturnType<typeof rowLayout>) => {
    const { r, w1, w2, w3, height } = layout;
    const ty = top + cellPadY;
    const idx = String(index + 1);
    text(idx, colX[0] + (cols[0] - widthOf(idx, 10)) / 2, ty, { size: 10 });
    const nh = text(item.itemNameZh, colX[1] + pad, ty, { size: 10, width: w1 });
    text(item.itemNameEn, colX[1] + pad, ty + nh, { size: 7.5, color: GREY, width: w1 });
    text(item.departmentNameZh, colX[2] + pad, ty, { size: 10, width: w2 });
    const color = r.alert ? ALERT : INK;
    text(r.zh, colX[3] + pad, ty, { size: 10, bold: true, color });
    text(r.en, colX[3] + pad + widthOf(r.zh, 10, true) + 3, ty + 2, { size: 7.5, color: r.alert ? ALERT : GREY });
    if (r.detail) text(r.detail, colX[3] + pad, ty + 14, { size: 8, color, width: w3 });
    gridRow(top, height);
  };

  let tableTop = faceBottom + 4;
  let pageBottom = footTop - 6;
  y = drawHeader(tableTop);
  data.items.forEach((item, i) => {
    const layout = rowLayout(item);
    if (y + layout.height > pageBottom && y > tableTop + headerHeight) {
      doc.addPage({ size: 'A4', layout: 'landscape', margin: 0 });
      drawFrame();
      drawTopLine(12.5 * MM);
      bilingual(`${TITLE_ZH}（续页）`, 'Comprehensive Permit (continued)', L, 22 * MM, 14, true);
      tableTop = 22 * MM + 28;
      pageBottom = H - 20 * MM;
      y = drawHeader(tableTop);
    }
    drawRow(item, i, y, layout);
    y += layout.height;
  });
  if (data.items.length === 0) {
    text('（无许可事项 no licensed items）', L + pad, y + cellPadY, { size: 9, color: GREY });
  }

  // ---- page numbers and the watermark on every page
  const range = doc.bufferedPageRange();
  for (let p = range.start; p < range.start + range.count; p++) {
    doc.switchToPage(p);
    if (range.count > 1) {
      const s = `第 ${p - range.start + 1} 页 共 ${range.count} 页  Page ${p - range.start + 1} of ${range.count}`;
      text(s, (W - widthOf(s, 7.5)) / 2, H - 12.5 * MM, { size: 7.5, color: GREY });
    }
    if (data.status !== 'VALID') drawWatermark(doc, `${status.zh} ${status.en.toUpperCase()}`, W, H);
  }

  doc.end();
  return finished;
}

function drawWatermark(doc: Doc, s: string, W: number, H: number): void {
  doc.save();
  doc.font('cjk-bold').fontSize(100);
  // fit the diagonal: at 30° the text may run about 0.62 × the page width / cos 30°
  const size = Math.min(76, (100 * (0.62 * W)) / Math.cos(Math.PI / 6) / doc.widthOfString(s, { characterSpacing: 8 }));
  doc.fontSize(size);
  const w = doc.widthOfString(s, { characterSpacing: size / 12 });
  doc.translate(W / 2, H / 2).rotate(-30);
  doc.fillColor('#cc0000').fillOpacity(0.17);
  doc.text(s, -w / 2, -size * 0.6, { lineBreak: false, characterSpacing: size / 12 });
  doc.restore();
}

/** A drawn stand-in for the issuer's round seal: ring, the name along the top arc, a star. */
function drawSeal(doc: Doc, cx: number, cy: number, r: number, name: string): void {
  doc.save();
  doc.fillColor(SEAL_RED).strokeColor(SEAL_RED).fillOpacity(0.78).strokeOpacity(0.78);
  doc.lineWidth(2.6).circle(cx, cy, r - 1.3).stroke();

  const chars = Array.from(name);
  const n = Math.max(chars.length, 1);
  const span = Math.min(230, 21 * n); // degrees along the top arc
  const textRadius = r - 5.5;
  const size = Math.min(12, ((textRadius * span * Math.PI) / 180 / n) * 0.82);
  doc.font('cjk-bold').fontSize(size);
  chars.forEach((ch, i) => {
    const angle = n === 1 ? 0 : -span / 2 + (span * i) / (n - 1);
    const rad = (angle * Math.PI) / 180;
    doc.save();
    doc.translate(cx + textRadius * Math.sin(rad), cy - textRadius * Math.cos(rad)).rotate(angle);
    doc.text(ch, -doc.widthOfString(ch) / 2, 0, { lineBreak: false });
    doc.restore();
  });

  doc.polygon(...starPoints(cx, cy + r * 0.02, r * 0.3)).fill();
  doc.font('cjk').fontSize(6.5);
  const label = '样式示意';
  doc.text(label, cx - doc.widthOfString(label) / 2, cy + r * 0.5, { lineBreak: false });
  doc.restore();
}
