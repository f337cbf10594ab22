import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey, type KeyLike } from 'jose';

/**
 * Ed25519 keys as JWKs: who signs holds a private key (`d`), who verifies only
 * public ones. Every key has a `kid`, so a key can be rotated by publishing
 * the new public key first, then signing with the new private key, and
 * withdrawing the old public key once nothing signed by it is still alive.
 * (docs/security.md, "Keys and how to rotate them").
 */
export async function generateSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' };
}

/** The public half of a key: what verifiers are given. */
export function publicJwk(jwk: JWK): JWK {
  const { d: _private, ...rest } = jwk;
  return rest;
}

/** A signing key from its private JWK, checked to be one. */
export async function privateSigningKey(jwk: JWK | undefined, name: string): Promise<{ kid: string; key: KeyLike | Uint8Array }> {
  if (!jwk?.d || !jwk.kid || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new Error(`${name} must hold an Ed25519 private JWK with a kid`);
  return { kid: jwk.kid, key: await importJWK(jwk, 'EdDSA') };
}

/** A key set verifiers look keys up in by `kid`; private parts are dropped, so a verifier never holds one by mistake. */
export function verifyingKeySet(keys: JWK[]): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: keys.map(publicJwk) });
}
