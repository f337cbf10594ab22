import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { PUBLIC_IDENTITY, toIdentity, type Identity } from '../shared/identity';

/**
 * Verifies the caller's bearer token, once, at the gateway. Tokens come from
 * the identity provider (in production the city's unified login / 京通; here
 * `npm run token`): HS256 with JWT_SECRET, or any JWKS at JWT_JWKS_URL.
 * No token means the anonymous public; a bad token is refused, never downgraded.
 */
export class CallerAuthenticator {
  private readonly jwks?: JWTVerifyGetKey;
  private readonly secret?: Uint8Array;
  private readonly issuer = process.env.JWT_ISSUER ?? 'yiye-dev-idp';
  private readonly audience = process.env.JWT_AUDIENCE ?? 'yiye-platform';

  constructor() {
    if (process.env.JWT_JWKS_URL) this.jwks = createRemoteJWKSet(new URL(process.env.JWT_JWKS_URL));
    else if (process.env.JWT_SECRET && process.env.JWT_SECRET.length >= 32) this.secret = new TextEncoder().encode(process.env.JWT_SECRET);
    else throw new Error('Set JWT_SECRET (32+ characters) or JWT_JWKS_URL');
  }

  async authenticate(authorization: string | undefined): Promise<Identity> {
    if (!authorization) return PUBLIC_IDENTITY;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new Error('Authorization header must be "Bearer <token>"');
    // A token that never expires is refused: `exp` is required.
    const options = { issuer: this.issuer, audience: this.audience, requiredClaims: ['exp'] };
    const { payload } = this.jwks
      ? await jwtVerify(match[1], this.jwks, options)
      : await jwtVerify(match[1], this.secret!, { ...options, algorithms: ['HS256'] });
    const identity = toIdentity(payload);
    if (identity.role === 'PUBLIC') throw new Error('PUBLIC is not a role a token can carry');
    return identity;
  }
}
