import QRCode from 'qrcode';

/** Where a scan lands: the gateway's public scan page for this permit code. */
export function scanUrl(code: string): string {
  const base = (process.env.PUBLIC_BASE_URL ?? 'http://127.0.0.1:4000').replace(/\/$/, '');
  return `${base}/scan/${encodeURIComponent(code)}`;
}

export async function qrSvg(code: string): Promise<string> {
  return QRCode.toString(scanUrl(code), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

export async function qrPngBase64(code: string): Promise<string> {
  const buffer = await QRCode.toBuffer(scanUrl(code), { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 320 });
  return buffer.toString('base64');
}
