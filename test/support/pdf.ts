import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jsQR from 'jsqr';

const execFileAsync = promisify(execFile);

/** MuPDF (WebAssembly, ESM-only) runs in its own node process: see rasterise-pdf.mjs. */
const RASTERISE = join(__dirname, 'rasterise-pdf.mjs');

export interface Rasterised {
  pages: number;
  width: number;
  height: number;
  text: string;
  fonts: string[];
  rgba: Uint8ClampedArray;
}

/** Renders a PDF's first page to `pngPath` (and returns its pixels, text and fonts). */
export async function rasterisePdf(pdfPath: string, pngPath: string, dpi = 150): Promise<Rasterised> {
  const { stdout } = await execFileAsync(process.execPath, [RASTERISE, pdfPath, pngPath, String(dpi)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const meta = JSON.parse(stdout) as Omit<Rasterised, 'rgba'>;
  const raw = readFileSync(`${pngPath}.rgba`);
  rmSync(`${pngPath}.rgba`, { force: true });
  if (raw.length !== meta.width * meta.height * 4) throw new Error('rasterised pixels do not match the page size');
  return { ...meta, rgba: new Uint8ClampedArray(raw.buffer, raw.byteOffset, raw.length) };
}

/** The text of the QR code on a rendered page, as a phone's reader would get it. */
export function decodeQr(page: Pick<Rasterised, 'rgba' | 'width' | 'height'>): string | undefined {
  return jsQR(page.rgba, page.width, page.height, { inversionAttempts: 'dontInvert' })?.data;
}
