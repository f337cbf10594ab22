import { z } from 'zod';

/**
 * Configuration: every environment variable a service reads is declared in
 * one schema (zod) per service and parsed once, at start. A missing, short or
 * malformed value stops the service before it listens, naming each variable
 * and what is wrong, so a service never starts healthy and fails at first use.
 *
 * - `subgraphConfig()` (below): what every subgraph reads (database, time
 *   budgets, keys, the event relay and inbox, where other services are);
 * - `gatewayConfig()` (gateway/config.ts), `documentsConfig()` (documents/),
 *   `applicationsConfig()`, `permitConfig()` and `departmentConfig()` next to
 *   the code that uses them.
 *
 * The README's configuration table lists the same variables.
 */

/** A service's environment did not parse: the message lists every problem. */
export class ConfigError extends Error {
  constructor(
    readonly scope: string,
    readonly problems: string[],
  ) {
    super(`${scope}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * A memoised, typed reader of one schema over process.env; `check` says what
 * one variable alone cannot (budgets that must nest, a URL that needs a token).
 * `.reset()` is for tests that change the environment.
 */
export function defineConfig<S extends z.ZodRawShape>(scope: string, shape: S, check?: (config: z.infer<z.ZodObject<S>>) => string[]) {
  const schema = z.object(shape);
  let parsed: z.infer<typeof schema> | undefined;
  /** Parses and checks `env` as this service would at start (also how the deployment files are checked). */
  const parseEnv = (env: Env): z.infer<typeof schema> => {
    const config = parseConfig(scope, schema, env);
    const problems = check?.(config) ?? [];
    if (problems.length) throw new ConfigError(scope, problems);
    return config;
  };
  const read = (): z.infer<typeof schema> => {
    parsed ??= parseEnv(process.env);
    return parsed;
  };
  read.reset = () => {
    parsed = undefined;
  };
  read.schema = schema;
  read.parseEnv = parseEnv;
  return read;
}

export function parseConfig<T extends z.ZodType>(scope: string, schema: T, env: Env): z.infer<T> {
  // Empty values count as unset, as in most deployment tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    scope,
    result.error.issues.map((issue) => {
      const [name, ...rest] = issue.path.map(String);
      return `${name}${rest.length ? ` (${rest.join('.')})` : ''}: ${issue.message}`;
    }),
  );
}

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

/** Milliseconds (a positive integer), with a default. */
export const millis = (fallback: number) =>
  z.coerce.number({ error: 'must be a whole number of milliseconds' }).int('must be a whole number of milliseconds').positive('must be above 0').default(fallback);

/** A positive whole number, with a default. */
export const count = (fallback: number) => z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be above 0').default(fallback);

export const port = (fallback: number) => z.coerce.number({ error: 'must be a port number' }).int().min(1).max(65535, 'must be a port number').default(fallback);

export const url = (what: string) => z.url({ error: `must be the URL of ${what}` });

/** A shared secret: required and long enough to resist guessing. */
export const secret = (what: string, minLength = 32) =>
  z.string({ error: `missing: ${what}` }).min(minLength, `too short: ${what} must be at least ${minLength} characters`);

/** JSON in a variable, then checked against `schema`. */
export function json<T extends z.ZodType>(what: string, schema: T) {
  return z
    .string({ error: `missing: ${what}` })
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `not valid JSON (${what})` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const base64url32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes, base64url');

/** An Ed25519 public key as a JWK, with its `kid`. */
export const ed25519PublicJwk = z.looseObject({
  kty: z.literal('OKP', { error: 'kty must be OKP' }),
  crv: z.literal('Ed25519', { error: 'crv must be Ed25519' }),
  x: base64url32,
  kid: z.string({ error: 'every key needs a kid' }).min(1, 'every key needs a kid'),
});

/** An Ed25519 private key as a JWK (`d` present), with its `kid`. */
export const ed25519PrivateJwk = ed25519PublicJwk.extend({ d: base64url32 });

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** What every service reads: where it listens, how it logs, whether in production, where the others are. */
export const serviceShape = {
  LISTEN_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: logLevel,
  NODE_ENV: z.string().optional(),
  SERVICE_URLS: json('SERVICE_URLS', z.record(z.string(), url('a service'))).optional(),
};

/** OpenTelemetry (shared/tracing.ts): the standard variables; tracing is on when an endpoint is set. */
export const tracingConfig = defineConfig('tracing', {
  OTEL_EXPORTER_OTLP_ENDPOINT: url('an OpenTelemetry collector (OTLP over HTTP); turns tracing on').optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url('an OpenTelemetry collector\'s traces endpoint; turns tracing on').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('yiye-platform'),
});

/** Reads only what logging needs, for code that runs before (or outside) a service's start. */
export const loggingConfig = defineConfig('logging', { LOG_LEVEL: logLevel });

/** Where every service is, for any process (services, scripts). */
export const serviceUrlsConfig = defineConfig('service URLs', { SERVICE_URLS: serviceShape.SERVICE_URLS });

// ---------------------------------------------------------------------------
// The database (every subgraph, and the operator scripts that open one)
// ---------------------------------------------------------------------------

const databaseShape = {
  MONGODB_URI: z.string({ error: 'missing: the database server (mongodb://…); npm start sets it' }).regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URI'),
  DB_PREFIX: z.string().regex(/^[A-Za-z0-9_]*$/, 'letters, digits and _ only').default('yiye_'),
  DB_SERVER_SELECTION_MS: millis(2000),
  DB_TIMEOUT_MS: millis(3000),
};
export const databaseConfig = defineConfig('database', databaseShape);

// ---------------------------------------------------------------------------
// Every subgraph
// ---------------------------------------------------------------------------

/** What every subgraph reads; the check says what no single variable can. */
export const subgraphConfig = defineConfig(
  'subgraph',
  {
    ...serviceShape,
    PORT: port(0).optional(),
    ...databaseShape,
    // Time budgets that nest (checked below): database < request < the gateway's wait.
    REQUEST_BUDGET_MS: millis(4000),
    SUBGRAPH_TIMEOUT_MS: millis(5000),
    // The gateway's public identity keys, given or fetched.
    GATEWAY_IDENTITY_JWKS: json('the gateway\'s public identity keys, { "keys": [...] }', z.object({ keys: z.array(ed25519PublicJwk).min(1, 'needs at least one key') })).optional(),
    GATEWAY_IDENTITY_JWKS_URL: url('the gateway\'s /.well-known/identity-keys.json').optional(),
    // This service's own event key, and everyone's public event keys.
    EVENT_SIGNING_KEY: json('this service\'s own Ed25519 private JWK for its events', ed25519PrivateJwk),
    EVENT_VERIFY_KEYS: json('every service\'s public event keys, { "<service>": [JWK] }', z.record(z.string(), z.array(ed25519PublicJwk).min(1))),
    OUTBOX_ENABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true').transform((v) => v === 'true'),
    OUTBOX_INTERVAL_MS: millis(1000),
    OUTBOX_MAX_IDLE_MS: millis(5000),
    OUTBOX_ORPHAN_MS: millis(60_000),
    // How long a relay's hold on a queue entry lasts unrenewed: a replica that dies leaves its entries to the others after this.
    OUTBOX_LEASE_MS: millis(15_000),
    EVENT_DELIVERY_TIMEOUT_MS: millis(5000),
    EVENT_MAX_BACKOFF_MS: millis(5000),
    INBOX_STALE_CLAIM_MS: millis(30_000),
  },
  (c) => {
    const problems: string[] = [];
    if (!(c.DB_SERVER_SELECTION_MS <= c.DB_TIMEOUT_MS && c.DB_TIMEOUT_MS < c.REQUEST_BUDGET_MS && c.REQUEST_BUDGET_MS < c.SUBGRAPH_TIMEOUT_MS)) {
      problems.push(
        `time budgets must nest: DB_SERVER_SELECTION_MS (${c.DB_SERVER_SELECTION_MS}) <= DB_TIMEOUT_MS (${c.DB_TIMEOUT_MS}) < REQUEST_BUDGET_MS (${c.REQUEST_BUDGET_MS}) < SUBGRAPH_TIMEOUT_MS (${c.SUBGRAPH_TIMEOUT_MS})`,
      );
    }
    if (c.OUTBOX_LEASE_MS <= 2 * c.EVENT_DELIVERY_TIMEOUT_MS) problems.push(`OUTBOX_LEASE_MS (${c.OUTBOX_LEASE_MS}) must be more than twice EVENT_DELIVERY_TIMEOUT_MS (${c.EVENT_DELIVERY_TIMEOUT_MS}), or a lease runs out while its delivery still waits`);
    if (!c.GATEWAY_IDENTITY_JWKS && !c.GATEWAY_IDENTITY_JWKS_URL) problems.push('GATEWAY_IDENTITY_JWKS or GATEWAY_IDENTITY_JWKS_URL: missing: the gateway\'s public identity keys');
    return problems;
  },
);
