import { SignJWT } from 'jose';
import type { Identity } from '../../shared/identity';
import { DEV_ISSUER } from '../../gateway/config';

/**
 * Signs a caller token as the development identity provider would. In
 * production tokens come from the city's unified login; the gateway only
 * verifies them.
 */
export async function devToken(secret: string, identity: Omit<Identity, 'role'> & { role: Identity['role'] }, ttl = '8h'): Promise<string> {
  const { subject, ...claims } = identity;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer(process.env.JWT_ISSUER ?? DEV_ISSUER)
    .setAudience(process.env.JWT_AUDIENCE ?? 'yiye-platform')
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
}
