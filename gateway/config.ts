import { z } from 'zod';
import { count, defineConfig, ed25519PrivateJwk, json, millis, port, secret, serviceShape, url } from '../shared/config';

/**
 * The gateway's settings (shared/config.ts explains the pattern): caller
 * tokens, its own identity-signing keys, how long it waits for subgraphs.
 * Per-subgraph timeouts (SUBGRAPH_TIMEOUT_MS_<NAME>) are read by
 * `subgraphTimeoutMs` in data-source.ts with this one as their default.
 */
/** The federation runtimes the gateway can execute operations with (README, "Gateway runtimes"); the first is the default. */
export const GATEWAY_RUNTIMES = ['hive', 'apollo'] as const;

export const gatewayConfig = defineConfig(
  'gateway',
  {
    ...serviceShape,
    PORT: port(4000),
    JWT_SECRET: secret('the development identity provider\'s HS256 secret for caller tokens').optional(),
    JWT_JWKS_URL: url('the identity provider\'s JWKS').optional(),
    // The development identity provider's name is the default only with its HS256 secret: a real provider's issuer is always stated.
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).default('yiye-platform'),
    GATEWAY_IDENTITY_KEYS: json('the gateway\'s Ed25519 private JWKs for the identity header, the first signs', z.array(ed25519PrivateJwk).min(1, 'needs at least one key')),
    SUBGRAPH_TIMEOUT_MS: millis(5000),
    SUBGRAPH_MAX_SOCKETS: count(64),
    // Which federation runtime executes operations (README, "Gateway runtimes"); both sit behind the same token check, limits and identity signing.
    GATEWAY_RUNTIME: z.enum(GATEWAY_RUNTIMES, { error: `must be one of ${GATEWAY_RUNTIMES.join(', ')}` }).default(GATEWAY_RUNTIMES[0]),
  },
  (c) => [
    ...(c.JWT_SECRET || c.JWT_JWKS_URL ? [] : ['JWT_SECRET or JWT_JWKS_URL: missing: how caller tokens are checked (a 32+ character secret, or the identity provider\'s JWKS)']),
    ...(c.JWT_JWKS_URL && !c.JWT_ISSUER ? ['JWT_ISSUER: missing: the issuer (iss) of the identity provider at JWT_JWKS_URL'] : []),
  ],
);

/** The development identity provider's issuer (`npm run token`), used when JWT_ISSUER is not set. */
export const DEV_ISSUER = 'yiye-dev-idp';
