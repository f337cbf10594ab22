import { SignJWT, jwtVerify } from 'jose';
import { platformError } from './errors';

/**
 * Who is asking. The gateway verifies the caller's token once and forwards this,
 * signed, to subgraphs (`IDENTITY_HEADER`); subgraphs trust nothing else.
 */
export const ROLES = ['APPLICANT', 'CLERK', 'REVIEWER', 'ISSUER', 'ANALYST', 'ADMIN', 'PUBLIC'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  role: Role;
  /** Person or system id (`sub` of the caller's token); `anonymous` for the public. */
  subject: string;
  name?: string;
  /** APPLICANT only: the unified social credit code the applicant acts for. */
  creditCode?: string;
  /** REVIEWER only: the department code the reviewer belongs to. */
  department?: string;
}

export const IDENTITY_HEADER = 'x-yiye-identity';
export const PUBLIC_IDENTITY: Identity = { role: 'PUBLIC', subject: 'anonymous' };

const encoder = new TextEncoder();
const IDENTITY_ISSUER = 'yiye-gateway';
const IDENTITY_AUDIENCE = 'yiye-subgraphs';

function identitySecret(): Uint8Array {
  const secret = process.env.GATEWAY_IDENTITY_SECRET;
  if (!secret || secret.length < 32) {
    throw new Error('GATEWAY_IDENTITY_SECRET must be set (32+ characters)');
  }
  return encoder.encode(secret);
}

/**
 * Both ends cache: the gateway reuses a signed header for the same identity
 * for half its lifetime, and a subgraph remembers headers it has verified
 * until they expire. Bounded, so a flood of identities cannot grow them.
 */
const CACHE_LIMIT = 10000;
const signedCache = new Map<string, { token: string; reuseUntil: number }>();
const verifiedCache = new Map<string, { identity: Identity; expiresAt: number }>();

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/** Signed by the gateway for subgraph requests; short-lived so a leaked header is useless soon. */
export async function signIdentity(identity: Identity): Promise<string> {
  const key = JSON.stringify(identity);
  const cached = signedCache.get(key);
  if (cached && cached.reuseUntil > Date.now()) return cached.token;
  const token = await signIdentityNow(identity);
  remember(signedCache, key, { token, reuseUntil: Date.now() + 30_000 });
  return token;
}

async function signIdentityNow(identity: Identity): Promise<string> {
  return new SignJWT({ ...identity })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(IDENTITY_ISSUER)
    .setAudience(IDENTITY_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(identitySecret());
}

export async function verifyIdentity(token: string): Promise<Identity> {
  const cached = verifiedCache.get(token);
  if (cached && cached.expiresAt > Date.now()) return cached.identity;
  const { payload } = await jwtVerify(token, identitySecret(), {
    issuer: IDENTITY_ISSUER,
    audience: IDENTITY_AUDIENCE,
    algorithms: ['HS256'],
  });
  const identity = toIdentity(payload);
  remember(verifiedCache, token, { identity, expiresAt: (payload.exp ?? 0) * 1000 });
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
  return identity;
}

const ROLE_NAMES: Record<Role, string> = {
  APPLICANT: '申请人',
  CLERK: '综合窗口人员',
  REVIEWER: '部门审批人员',
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
