// Rasterises the first page of a PDF with MuPDF (WebAssembly, ESM-only, so it
// runs in its own process rather than under jest's CommonJS module system).
//
//   node test/support/rasterise-pdf.mjs in.pdf out.png [dpi]
//
// Writes out.png and out.png.rgba (raw RGBA pixels, width × height × 4) and prints
// JSON { pages, width, height, text, fonts }: text is every page's extracted text,
// fonts the BaseFont of every font the pages use.
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import * as mupdf from 'mupdf';

const [input, output, dpiArg] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: rasterise-pdf.mjs in.pdf out.png [dpi]');
  process.exit(2);
}
const dpi = Number(dpiArg ?? 150);
const doc = mupdf.Document.openDocument(readFileSync(input), 'application/pdf');
const pages = doc.countPages();
const scale = dpi / 72;
// Opaque white background (alpha = false), as on paper.
const pixmap = doc.loadPage(0).toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false);
writeFileSync(output, pixmap.asPNG());
const width = pixmap.getWidth();
const height = pixmap.getHeight();
const stride = pixmap.getStride();
const n = pixmap.getNumberOfComponents() + pixmap.getAlpha();
const samples = pixmap.getPixels();
const rgba = Buffer.alloc(width * height * 4);
for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) {
    const s = y * stride + x * n;
    const d = (y * width + x) * 4;
    rgba[d] = samples[s];
    rgba[d + 1] = samples[s + 1];
    rgba[d + 2] = samples[s + 2];
    rgba[d + 3] = 255;
  }
}
writeFileSync(`${output}.rgba`, rgba);
let text = '';
for (let i = 0; i < pages; i++) text += doc.loadPage(i).toStructuredText('preserve-whitespace').asText() + '\n';
const pdf = doc.asPDF();
const fonts = [];
if (pdf) {
  for (let i = 0; i < pages; i++) {
    const res = pdf.findPage(i).get('Resources').get('Font');
    res.forEach((font) => fonts.push(String(font.resolve().get('BaseFont'))));
  }
}
process.stdout.write(JSON.stringify({ pages, width, height, text, fonts }));
