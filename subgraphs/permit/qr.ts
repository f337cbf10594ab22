import type { JWK, KeyLike } from 'jose';
import { importJWK } from 'jose';
import QRCode from 'qrcode';
import { QR_CODE_TYPE, QR_ISSUER, publicJwks, qrUrl, signQr, type QrFields } from '../../shared/permit-code';
import { permitConfig } from './config';

/**
 * Signing keys come from PERMIT_SIGNING_KEYS (a JSON array of Ed25519 private
 * JWKs with `kid`): the first signs new codes, all are published, so rotating
 * is putting a new key first and keeping the old ones while their codes live.
 */
let keys: { jwks: JWK[]; active: { kid: string; key: KeyLike | Uint8Array } } | undefined;

async function signingKeys() {
  if (!keys) {
    const jwks = permitConfig().PERMIT_SIGNING_KEYS;
    keys = { jwks, active: { kid: jwks[0].kid, key: await importJWK(jwks[0], 'EdDSA') } };
  }
  return keys;
}

export async function publishedKeys(): Promise<{ keys: JWK[] }> {
  return publicJwks((await signingKeys()).jwks);
}

export function baseUrl(): string {
  return permitConfig().PUBLIC_BASE_URL;
}

/** Signs a new QR for a permit version (at issue or re-issue; the QR of a version never changes). */
export async function signPermitQr(code: string): Promise<QrFields> {
  const { active } = await signingKeys();
  return signQr({ code, type: QR_CODE_TYPE, issuer: QR_ISSUER, generatedAt: Math.floor(Date.now() / 1000), kid: active.kid }, active.key);
}

export function permitQrContent(code: string, qr: Omit<QrFields, 'code'>): string {
  return qrUrl(baseUrl(), { ...qr, code });
}

export async function qrSvg(content: string): Promise<string> {
  return QRCode.toString(content, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

export async function qrPngBase64(content: string): Promise<string> {
  const buffer = await QRCode.toBuffer(content, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 400 });
  return buffer.toString('base64');
}
