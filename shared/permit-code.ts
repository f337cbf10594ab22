import { CompactSign, compactVerify, exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';

/**
 * The permit's QR code, in the spirit of the Beijing city code (DB11/T 1917.2):
 * a guide URL to the gateway's scan page carrying the code type (`t`), the
 * issuer (`i`), the permit code, the generation time (`g`) and a security field
 * (`s`): an Ed25519 signature by the key `k`. The public keys are published
 * (JWKS), so an inspector's app can check a code offline; the scan page and
 * `verifyPermit` check it online. Shared by the permit subgraph (signing) and
 * anyone verifying (gateway, tests, other districts' tools).
 */
export const QR_CODE_TYPE = 'ZHXKPZ'; // 综合许可凭证
export const QR_ISSUER = '110113'; // Shunyi District's division code: the issuing bureau

export interface QrFields {
  code: string;
  type: string;
  issuer: string;
  generatedAt: number; // seconds since the epoch
  kid: string;
  signature: string; // base64url Ed25519 signature (detached)
}

/** The exact bytes that are signed: every field but the signature, in a fixed order. */
export function signingInput(f: Omit<QrFields, 'signature'>): string {
  return `yiye-permit-qr/1|${f.type}|${f.issuer}|${f.code}|${f.generatedAt}|${f.kid}`;
}

export function qrUrl(baseUrl: string, f: QrFields): string {
  const params = new URLSearchParams({ t: f.type, i: f.issuer, g: String(f.generatedAt), k: f.kid, s: f.signature });
  return `${baseUrl.replace(/\/$/, '')}/scan/${encodeURIComponent(f.code)}?${params}`;
}

/** What a permit code looks like once normalised (docs/qr.md §1, §3). */
export const CODE_PATTERN = /^[0-9A-Z]{6,32}$/;

/** A code as typed or read: trimmed and upper-cased, so `abc234…` finds `ABC234…` (docs/qr.md §3). */
export function normaliseCode(code: string): string {
  return code.trim().toUpperCase();
}

/** Reads a QR's content (the URL, or just a code typed in by hand). Null when it is neither (docs/qr.md §3). */
export function parseQrContent(content: string): { code: string; fields: QrFields | null } | null {
  const text = content.trim();
  if (CODE_PATTERN.test(normaliseCode(text))) return { code: normaliseCode(text), fields: null };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const match = /\/scan\/([^/?#]+)$/.exec(url.pathname);
  if (!match) return null;
  let code: string;
  try {
    code = decodeURIComponent(match[1]).toUpperCase();
  } catch {
    return null; // a broken percent-escape
  }
  if (!CODE_PATTERN.test(code)) return null;
  const p = url.searchParams;
  const [t, i, g, k, s] = ['t', 'i', 'g', 'k', 's'].map((name) => p.get(name));
  if (!t || !i || !g || !k || !s || !/^\d+$/.test(g)) return { code, fields: null };
  return { code, fields: { code, type: t, issuer: i, generatedAt: Number(g), kid: k, signature: s } };
}

const encoder = new TextEncoder();

export async function signQr(f: Omit<QrFields, 'signature'>, privateKey: KeyLike | Uint8Array): Promise<QrFields> {
  const jws = await new CompactSign(encoder.encode(signingInput(f))).setProtectedHeader({ alg: 'EdDSA', kid: f.kid }).sign(privateKey);
  // Keep only the signature in the QR: the header is fixed and the payload is rebuilt from the fields.
  return { ...f, signature: jws.split('.')[2] };
}

export type QrCheck = 'AUTHENTIC' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE';

/** Checks a QR's signature against a JWKS (the published public keys). */
export async function verifyQr(f: QrFields, jwks: { keys: JWK[] }): Promise<QrCheck> {
  const jwk = jwks.keys.find((k) => k.kid === f.kid);
  if (!jwk) return 'UNKNOWN_KEY';
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: f.kid })).toString('base64url');
  const payload = Buffer.from(signingInput(f)).toString('base64url');
  try {
    await compactVerify(`${header}.${payload}.${f.signature}`, await importJWK(jwk, 'EdDSA'));
    return 'AUTHENTIC';
  } catch {
    return 'BAD_SIGNATURE';
  }
}

/** A new signing key (for `npm start`'s dev secrets, tests and key rotation). */
export async function generatePermitSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' };
}

/** The public half of private JWKs, as published. */
export function publicJwks(keys: JWK[]): { keys: JWK[] } {
  return { keys: keys.map(({ d: _d, ...pub }) => pub) };
}
