import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { PUBLIC_IDENTITY, toIdentity, type Identity } from '../shared/identity';
import { DEV_ISSUER, gatewayConfig } from './config';

/**
 * Verifies the caller's bearer token, once, at the gateway. Tokens come from
 * the identity provider (in production the city's unified login / 京通; here
 * `npm run token`): HS256 with JWT_SECRET, or any JWKS at JWT_JWKS_URL.
 * No token means the anonymous public; a bad token is refused, never downgraded.
 */
export class CallerAuthenticator {
  private readonly jwks?: JWTVerifyGetKey;
  private readonly secret?: Uint8Array;
  private readonly issuer: string;
  private readonly audience: string;

  constructor() {
    const { JWT_ISSUER, JWT_AUDIENCE, JWT_JWKS_URL, JWT_SECRET } = gatewayConfig();
    this.issuer = JWT_ISSUER ?? DEV_ISSUER;
    this.audience = JWT_AUDIENCE;
    if (JWT_JWKS_URL) this.jwks = createRemoteJWKSet(new URL(JWT_JWKS_URL));
    else this.secret = new TextEncoder().encode(JWT_SECRET);
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
