import { SignJWT, createRemoteJWKSet, jwtVerify, type JWK, type JWTVerifyGetKey, type KeyLike } from 'jose';
import { platformError } from './errors';
import { subgraphConfig } from './config';
import { privateSigningKey, verifyingKeySet } from './keys';

/**
 * Who is asking. The gateway verifies the caller's token once and forwards this,
 * signed, to subgraphs (`IDENTITY_HEADER`); subgraphs trust nothing else.
 */
export const ROLES = ['APPLICANT', 'CLERK', 'REVIEWER', 'INSPECTOR', 'ISSUER', 'ANALYST', 'ADMIN', 'PUBLIC'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  role: Role;
  /** Person or system id (`sub` of the caller's token); `anonymous` for the public. */
  subject: string;
  name?: string;
  /** APPLICANT only: the unified social credit code the applicant acts for. */
  creditCode?: string;
  /** REVIEWER and INSPECTOR: the department code the person belongs to. */
  department?: string;
}

export const IDENTITY_HEADER = 'x-yiye-identity';
export const PUBLIC_IDENTITY: Identity = { role: 'PUBLIC', subject: 'anonymous' };

/**
 * The gateway signs the identity it forwards with its own Ed25519 key
 * (GATEWAY_IDENTITY_KEYS, private JWKs, the first signs); subgraphs hold only
 * the public keys (GATEWAY_IDENTITY_JWKS, or GATEWAY_IDENTITY_JWKS_URL where the
 * gateway publishes them), so no subgraph can mint an identity. Each header is
 * for one subgraph (the audience), lives 60 s, and must say so (`exp`, `iat`).
 */
const IDENTITY_ISSUER = 'yiye-gateway';
export const IDENTITY_LIFETIME_S = 60;

export function identityAudience(service: string): string {
  return `yiye-subgraph:${service}`;
}

const signers = new Map<string, Promise<{ kid: string; key: KeyLike | Uint8Array }>>();
function identitySigner(jwk: JWK) {
  const id = `${jwk.kid}|${jwk.x}`;
  if (!signers.has(id)) signers.set(id, privateSigningKey(jwk, 'GATEWAY_IDENTITY_KEYS'));
  return signers.get(id)!;
}

let verifier: JWTVerifyGetKey | undefined;
function identityVerifier(): JWTVerifyGetKey {
  if (!verifier) {
    // Both present or neither is refused at start (checkSubgraphConfig).
    const { GATEWAY_IDENTITY_JWKS: jwks, GATEWAY_IDENTITY_JWKS_URL: url } = subgraphConfig();
    verifier = jwks ? verifyingKeySet(jwks.keys as JWK[]) : createRemoteJWKSet(new URL(url!));
  }
  return verifier;
}

/**
 * Both ends cache: the gateway reuses a signed header for the same identity and
 * subgraph for half its lifetime, and a subgraph remembers headers it has
 * verified until they expire. Bounded, so a flood of identities cannot grow them.
 */
const CACHE_LIMIT = 10000;
const signedCache = new Map<string, { token: string; reuseUntil: number }>();
const verifiedCache = new Map<string, { identity: Identity; expiresAt: number }>();

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/**
 * Signed by the gateway (with `signingKey`, its private JWK) for one subgraph's
 * request; short-lived so a leaked header is useless soon, and only there.
 */
export async function signIdentity(identity: Identity, service: string, signingKey: JWK): Promise<string> {
  const cacheKey = `${service}|${JSON.stringify(identity)}`;
  const cached = signedCache.get(cacheKey);
  if (cached && cached.reuseUntil > Date.now()) return cached.token;
  const { kid, key } = await identitySigner(signingKey);
  const token = await new SignJWT({ ...identity })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setIssuer(IDENTITY_ISSUER)
    .setAudience(identityAudience(service))
    .setIssuedAt()
    .setExpirationTime(`${IDENTITY_LIFETIME_S}s`)
    .sign(key);
  remember(signedCache, cacheKey, { token, reuseUntil: Date.now() + (IDENTITY_LIFETIME_S * 1000) / 2 });
  return token;
}

/** Verifies a header for this subgraph: the gateway's key, this audience, `exp` required and no longer than the header's lifetime. */
export async function verifyIdentity(token: string, service: string): Promise<Identity> {
  const cached = verifiedCache.get(token);
  if (cached && cached.expiresAt > Date.now()) return cached.identity;
  const { payload } = await jwtVerify(token, identityVerifier(), {
    issuer: IDENTITY_ISSUER,
    audience: identityAudience(service),
    algorithms: ['EdDSA'],
    requiredClaims: ['exp', 'iat'],
    maxTokenAge: `${IDENTITY_LIFETIME_S + 5}s`,
  });
  if (payload.exp! - payload.iat! > IDENTITY_LIFETIME_S) throw new Error('identity header lives too long');
  const identity = toIdentity(payload);
  remember(verifiedCache, token, { identity, expiresAt: payload.exp! * 1000 });
  return identity;
}

/** Narrows verified claims to an Identity, refusing role/binding mismatches. */
export function toIdentity(claims: Record<string, unknown>): Identity {
  const role = claims.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw new Error('token has no valid role');
  }
  const identity: Identity = {
    role: role as Role,
    subject: typeof claims.sub === 'string' ? claims.sub : String(claims.subject ?? ''),
    ...(typeof claims.name === 'string' ? { name: claims.name } : {}),
    ...(typeof claims.creditCode === 'string' ? { creditCode: claims.creditCode } : {}),
    ...(typeof claims.department === 'string' ? { department: claims.department } : {}),
  };
  if (!identity.subject) throw new Error('token has no subject');
  if (identity.role === 'APPLICANT' && !identity.creditCode) throw new Error('applicant token needs creditCode');
  if (identity.role === 'REVIEWER' && !identity.department) throw new Error('reviewer token needs department');
  if (identity.role === 'INSPECTOR' && !identity.department) throw new Error('inspector token needs department');
  return identity;
}

const ROLE_NAMES: Record<Role, string> = {
  APPLICANT: '申请人',
  CLERK: '综合窗口人员',
  REVIEWER: '部门审批人员',
  INSPECTOR: '部门检查人员',
  ISSUER: '区政务服务局发证人员',
  ANALYST: '数据分析人员',
  ADMIN: '系统管理员',
  PUBLIC: '公众',
};

/** Refuses unless the caller has one of `roles`. */
export function requireRole(identity: Identity, ...roles: Role[]): void {
  if (roles.includes(identity.role)) return;
  if (identity.role === 'PUBLIC') {
    throw platformError('UNAUTHENTICATED', '请先登录', 'Please sign in first');
  }
  const zh = roles.map((r) => ROLE_NAMES[r]).join('、');
  throw platformError(
    'FORBIDDEN',
    `此操作仅限${zh}，当前角色为${ROLE_NAMES[identity.role]}`,
    `Only ${roles.join(', ')} may do this; you are ${identity.role}`,
  );
}
