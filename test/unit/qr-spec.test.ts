import * as nodeCrypto from 'node:crypto';
import { createPrivateKey, createPublicKey, sign, verify, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, importJWK, type JWK } from 'jose';
import { parseQrContent, qrUrl, signQr, signingInput, verifyQr } from '../../shared/permit-code';

/**
 * docs/qr.md is the QR code's specification. Its test vectors are read from the
 * file itself, checked by a verifier written from the text (node:crypto and URL
 * only, nothing from shared/permit-code.ts), and the platform's own code must
 * produce and accept exactly them.
 */

type Outcome = 'AUTHENTIC' | 'BAD_SIGNATURE' | 'UNKNOWN_KEY' | 'UNSIGNED' | 'MALFORMED';
interface SignedFields {
  code: string;
  type: string;
  issuer: string;
  generatedAt: number;
  kid: string;
}
interface Vector {
  name: string;
  description: string;
  expected: Outcome;
  issued: boolean;
  qrContent: string;
  code: string | null;
  fields: SignedFields | null;
  protectedHeader: string | null;
  signingInput: string | null;
  signedBytes: string | null;
  signature: string | null;
}
interface VectorFile {
  rfc8032: { secretKeyHex: string; publicKeyHex: string; emptyMessageSignatureHex: string };
  privateJwk: JsonWebKey & { kid: string };
  jwks: { keys: (JsonWebKey & { kid: string })[] };
  publicBaseUrl: string;
  vectors: Vector[];
}

const doc = readFileSync(join(__dirname, '../../docs/qr.md'), 'utf8');
const MARKER = '<!-- qr-test-vectors';

function vectorBlock(): VectorFile {
  const after = doc.slice(doc.indexOf(MARKER));
  const blocks = [...after.matchAll(/```json\n([\s\S]*?)\n```/g)];
  if (!doc.includes(MARKER) || blocks.length !== 1) throw new Error('docs/qr.md must hold exactly one ```json block after the qr-test-vectors marker');
  return JSON.parse(blocks[0][1]) as VectorFile;
}

const spec = vectorBlock();

// ---------------------------------------------------------------------------
// The independent verifier, written from docs/qr.md §3, §4 and §6.

interface Checked {
  outcome: Outcome;
  code: string | null;
  fields?: SignedFields;
  protectedHeader?: string;
  signingInput?: string;
  signedBytes?: string;
  signature?: string;
}

const CODE = /^[0-9A-Z]{6,32}$/;
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function verifyOffline(content: string, jwks: { keys: (JsonWebKey & { kid?: string })[] }): Checked {
  // §3.1-2: trim the whole content; a bare code is typed by hand and carries no signature.
  const text = content.trim();
  if (/^[0-9A-Za-z]{6,32}$/.test(text)) return { outcome: 'UNSIGNED', code: text.toUpperCase() };
  // §3.3-4: an absolute URL whose path ends in /scan/<segment>.
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { outcome: 'MALFORMED', code: null };
  }
  const segment = /\/scan\/([^/?#]+)$/.exec(url.pathname)?.[1];
  if (!segment) return { outcome: 'MALFORMED', code: null };
  // §3.5: percent-decode, upper-case, and the verifier's own shape check.
  let code: string;
  try {
    code = decodeURIComponent(segment).toUpperCase();
  } catch {
    return { outcome: 'MALFORMED', code: null };
  }
  if (!CODE.test(code)) return { outcome: 'MALFORMED', code: null };
  // §3.6: the five parameters, in any order; one missing makes the content unsigned.
  const [t, i, g, k, s] = ['t', 'i', 'g', 'k', 's'].map((name) => url.searchParams.get(name));
  if (!t || !i || !g || !k || !s || !/^\d+$/.test(g)) return { outcome: 'UNSIGNED', code };
  // §3 (strict): canonical g, and s exactly 86 base64url characters that re-encode to themselves.
  const signature = Buffer.from(s, 'base64url');
  if (!/^(0|[1-9]\d*)$/.test(g) || !/^[A-Za-z0-9_-]{86}$/.test(s) || signature.length !== 64 || signature.toString('base64url') !== s) {
    return { outcome: 'MALFORMED', code };
  }
  // §4: the JWS signing input.
  const fields: SignedFields = { code, type: t, issuer: i, generatedAt: Number(g), kid: k };
  const protectedHeader = `{"alg":"EdDSA","kid":${JSON.stringify(k)}}`;
  const input = ['yiye-permit-qr/1', t, i, code, g, k].join('|');
  const signedBytes = `${b64url(protectedHeader)}.${b64url(input)}`;
  const detail = { code, fields, protectedHeader, signingInput: input, signedBytes, signature: s };
  // §5-6: the key by kid; an unknown kid cannot be checked.
  const jwk = jwks.keys.find((key) => key.kid === k && key.kty === 'OKP' && key.crv === 'Ed25519');
  if (!jwk) return { outcome: 'UNKNOWN_KEY', ...detail };
  const ok = verify(null, Buffer.from(signedBytes, 'utf8'), createPublicKey({ key: jwk, format: 'jwk' }), signature);
  return { outcome: ok ? 'AUTHENTIC' : 'BAD_SIGNATURE', ...detail };
}

/** The platform's own reading, in the same terms. */
async function platformOutcome(content: string): Promise<Outcome> {
  const parsed = parseQrContent(content);
  if (!parsed) return 'MALFORMED';
  if (!parsed.fields) return 'UNSIGNED';
  return verifyQr(parsed.fields, spec.jwks as { keys: JWK[] });
}

const privateKey = () => importJWK(spec.privateJwk as JWK, 'EdDSA');

describe('docs/qr.md: the permit QR specification and its test vectors', () => {
  it('holds the required vectors: issued, lower-cased, tampered', () => {
    const names = spec.vectors.map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(['issued', 'lower-case-code', 'tampered-code']));
    expect(new Set(names).size).toBe(names.length);
    expect(spec.vectors.filter((v) => v.issued).length).toBeGreaterThan(0);
    expect(new Set(spec.vectors.map((v) => v.expected))).toEqual(new Set(['AUTHENTIC', 'BAD_SIGNATURE', 'UNKNOWN_KEY', 'UNSIGNED', 'MALFORMED']));
    // The lower-cased vector really is lower-case in its path.
    const lower = spec.vectors.find((v) => v.name === 'lower-case-code')!;
    expect(new URL(lower.qrContent).pathname).toMatch(/^\/scan\/[0-9a-z]+$/);
  });

  it('uses the RFC 8032 TEST 1 key: d and x are its bytes, x is derived from d, and it signs as the RFC says', () => {
    const { secretKeyHex, publicKeyHex, emptyMessageSignatureHex } = spec.rfc8032;
    const jwk = spec.privateJwk;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'test-1' });
    expect(Buffer.from(jwk.d!, 'base64url').toString('hex')).toBe(secretKeyHex);
    expect(Buffer.from(jwk.x!, 'base64url').toString('hex')).toBe(publicKeyHex);
    // Derive the public key from the secret alone (PKCS#8 of the 32-byte seed, no x), then compare.
    const fromD = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(jwk.d!, 'base64url')]), format: 'der', type: 'pkcs8' });
    expect(createPublicKey(fromD).export({ format: 'jwk' }).x).toBe(jwk.x);
    expect(sign(null, Buffer.alloc(0), fromD).toString('hex')).toBe(emptyMessageSignatureHex);
    // The published set is the private key without d.
    const { d: _d, ...pub } = jwk;
    expect(spec.jwks).toEqual({ keys: [pub] });
  });

  describe.each(spec.vectors.map((v) => [v.name, v] as const))('vector %s', (_name, v) => {
    it(`independent verifier: ${v.expected}`, () => {
      const checked = verifyOffline(v.qrContent, spec.jwks);
      expect(checked.outcome).toBe(v.expected);
      expect(checked.code).toBe(v.code);
      expect(checked.fields ?? null).toEqual(v.fields);
      expect(checked.protectedHeader ?? null).toBe(v.protectedHeader);
      expect(checked.signingInput ?? null).toBe(v.signingInput);
      expect(checked.signedBytes ?? null).toBe(v.signedBytes);
      expect(checked.signature ?? null).toBe(v.signature);
      if (v.protectedHeader && v.signingInput && v.signedBytes) {
        // The doc's three strings hang together as §4 says.
        expect(v.signedBytes).toBe(`${b64url(v.protectedHeader)}.${b64url(v.signingInput)}`);
      }
    });

    it('the platform reads and checks it the same way (parseQrContent, verifyQr)', async () => {
      expect(await platformOutcome(v.qrContent)).toBe(verifyOffline(v.qrContent, spec.jwks).outcome);
      const parsed = parseQrContent(v.qrContent);
      expect(parsed?.code ?? null).toBe(v.code);
      if (!v.fields) {
        expect(parsed?.fields ?? null).toBeNull();
        return;
      }
      expect(parsed?.fields).toEqual({ ...v.fields, signature: v.signature });
      expect(signingInput(parsed!.fields!)).toBe(v.signingInput);
    });

    if (v.fields) {
      const fields = v.fields;
      it(`the platform's signQr ${v.expected === 'AUTHENTIC' ? 'gives exactly' : 'does not give'} this signature for these fields`, async () => {
        const signed = await signQr(fields, await privateKey());
        if (v.expected === 'AUTHENTIC') expect(signed.signature).toBe(v.signature);
        else expect(signed.signature).not.toBe(v.signature);
        if (v.issued) expect(qrUrl(spec.publicBaseUrl, signed)).toBe(v.qrContent);
      });

      it("jose's protected header is byte-identical to the one rebuilt for verifying", async () => {
        const jws = await new CompactSign(new TextEncoder().encode(v.signingInput!))
          .setProtectedHeader({ alg: 'EdDSA', kid: fields.kid })
          .sign(await privateKey());
        const [header, payload] = jws.split('.');
        expect(Buffer.from(header, 'base64url').toString('utf8')).toBe(v.protectedHeader);
        expect(header).toBe(Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: fields.kid })).toString('base64url'));
        expect(`${header}.${payload}`).toBe(v.signedBytes);
      });
    }
  });

  it("the doc's code sample (§6) gives each vector's expected result", () => {
    const sample = /```js\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(sample).toContain('function verifyPermitQr');
    const load = new Function('require', 'Buffer', `${sample}\nreturn verifyPermitQr;`) as (
      req: (name: string) => unknown,
      buffer: typeof Buffer,
    ) => (content: string, jwks: VectorFile['jwks']) => { result: Outcome; code?: string };
    const verifyPermitQr = load((name) => {
      if (name !== 'node:crypto') throw new Error(`the sample needs only node:crypto, not ${name}`);
      return nodeCrypto;
    }, Buffer);
    for (const v of spec.vectors) {
      const answer = verifyPermitQr(v.qrContent, spec.jwks);
      expect({ name: v.name, result: answer.result, code: answer.code ?? null }).toEqual({ name: v.name, result: v.expected, code: v.code });
    }
  });

  it('an issued QR signed now verifies only with its own key, in every reading', async () => {
    // A fresh signature (not from the doc): the independent verifier and the platform agree on it too.
    const signed = await signQr({ code: 'QRSPEC23456789', type: 'ZHXKPZ', issuer: '110113', generatedAt: 1767225600 + 86400, kid: 'test-1' }, await privateKey());
    const url = qrUrl(spec.publicBaseUrl, signed);
    for (const content of [url, url.replace('/scan/QRSPEC23456789', '/scan/qrspec23456789')]) {
      expect(verifyOffline(content, spec.jwks).outcome).toBe('AUTHENTIC');
      expect(await platformOutcome(content)).toBe('AUTHENTIC');
    }
    const otherKey = nodeCrypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const impostor = { keys: [{ ...otherKey, kid: 'test-1' }] };
    expect(verifyOffline(url, impostor).outcome).toBe('BAD_SIGNATURE');
    expect(await verifyQr(parseQrContent(url)!.fields!, impostor as { keys: JWK[] })).toBe('BAD_SIGNATURE');
  });
});
