import { generatePermitSigningKey, parseQrContent, publicJwks, qrUrl, signQr, verifyQr, QR_CODE_TYPE, QR_ISSUER } from '../../shared/permit-code';
import { importJWK } from 'jose';

describe('permit QR codes', () => {
  const fields = { code: 'ABCDEFGH2345', type: QR_CODE_TYPE, issuer: QR_ISSUER, generatedAt: 1795806529 };

  it('signs a code that verifies against the published keys, and survives the URL round trip', async () => {
    const key = await generatePermitSigningKey('k1');
    const signed = await signQr({ ...fields, kid: 'k1' }, await importJWK(key, 'EdDSA'));
    const url = qrUrl('https://gw.example/', signed);
    expect(url).toMatch(/^https:\/\/gw\.example\/scan\/ABCDEFGH2345\?t=ZHXKPZ&i=110113&g=1795806529&k=k1&s=[A-Za-z0-9_-]{86}$/);
    const parsed = parseQrContent(url)!;
    expect(parsed.fields).toEqual(signed);
    expect(await verifyQr(parsed.fields!, publicJwks([key]))).toBe('AUTHENTIC');
    // The published set holds no private part.
    expect(publicJwks([key]).keys[0]).not.toHaveProperty('d');
  });

  it('detects tampering with any signed field', async () => {
    const key = await generatePermitSigningKey('k1');
    const signed = await signQr({ ...fields, kid: 'k1' }, await importJWK(key, 'EdDSA'));
    const jwks = publicJwks([key]);
    expect(await verifyQr({ ...signed, code: 'ABCDEFGH2346' }, jwks)).toBe('BAD_SIGNATURE');
    expect(await verifyQr({ ...signed, generatedAt: signed.generatedAt + 1 }, jwks)).toBe('BAD_SIGNATURE');
    expect(await verifyQr({ ...signed, issuer: '110105' }, jwks)).toBe('BAD_SIGNATURE');
    // A character in the middle: the last one of base64url carries padding bits, so changing it may change nothing.
    const middle = Math.floor(signed.signature.length / 2);
    const flipped = signed.signature.slice(0, middle) + (signed.signature[middle] === 'A' ? 'B' : 'A') + signed.signature.slice(middle + 1);
    expect(await verifyQr({ ...signed, signature: flipped }, jwks)).toBe('BAD_SIGNATURE');
  });

  it('keeps old codes valid across a key rotation, and refuses unknown keys', async () => {
    const old = await generatePermitSigningKey('2026-01');
    const rotated = await generatePermitSigningKey('2026-07');
    const signedWithOld = await signQr({ ...fields, kid: '2026-01' }, await importJWK(old, 'EdDSA'));
    // The new key signs first; the old one stays published while its codes live.
    expect(await verifyQr(signedWithOld, publicJwks([rotated, old]))).toBe('AUTHENTIC');
    expect(await verifyQr(signedWithOld, publicJwks([rotated]))).toBe('UNKNOWN_KEY');
    // A key with the right id but other material is not fooled.
    expect(await verifyQr(signedWithOld, publicJwks([{ ...rotated, kid: '2026-01' }]))).toBe('BAD_SIGNATURE');
  });

  it('reads a code typed by hand, and refuses what is not a permit QR', () => {
    expect(parseQrContent(' abcdefgh2345 ')).toEqual({ code: 'ABCDEFGH2345', fields: null });
    expect(parseQrContent('https://gw.example/scan/ABCDEFGH2345')).toEqual({ code: 'ABCDEFGH2345', fields: null });
    expect(parseQrContent('https://gw.example/other/ABCDEFGH2345')).toBeNull();
    expect(parseQrContent('not a url or code!')).toBeNull();
  });
});
