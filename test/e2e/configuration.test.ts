import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { generateSigningKey, publicJwk } from '../../shared/keys';
import { REPO_ROOT, services } from '../../shared/registry';

/**
 * A service with a missing, short or malformed setting refuses to start, and
 * says which: it never starts healthy and fails at its first request.
 */
interface Exit {
  code: number | null;
  stderr: string;
  listening: boolean;
}

/** Starts one entry point with exactly `env` (plus PATH) and waits for it to exit; a service that keeps running is killed and reported. */
function run(entry: string[], env: Record<string, string>, waitMs = 20_000): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...entry], { cwd: REPO_ROOT, env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), waitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, listening: /ready/.test(stdout) });
    });
  });
}

const entryOf = (name: string) => {
  const service = services().find((s) => s.name === name)!;
  return [service.entry, ...service.args];
};
// Nothing listens here: a service that got past its configuration would fail later, differently.
const NO_DATABASE = 'mongodb://127.0.0.1:9/';

describe('configuration is checked at start', () => {
  let eventKey: Awaited<ReturnType<typeof generateSigningKey>>;
  let gatewayKey: Awaited<ReturnType<typeof generateSigningKey>>;
  let subgraphEnv: Record<string, string>;

  beforeAll(async () => {
    eventKey = await generateSigningKey('cfg-event');
    gatewayKey = await generateSigningKey('cfg-gateway');
    subgraphEnv = {
      MONGODB_URI: NO_DATABASE,
      EVENT_SIGNING_KEY: JSON.stringify(eventKey),
      EVENT_VERIFY_KEYS: JSON.stringify({ permit: [publicJwk(eventKey)] }),
      GATEWAY_IDENTITY_JWKS: JSON.stringify({ keys: [publicJwk(gatewayKey)] }),
    };
  });

  it('a subgraph without its event key and with a public key where a private one belongs names both and exits 1', async () => {
    const { EVENT_SIGNING_KEY: _omitted, ...env } = subgraphEnv;
    const exit = await run(entryOf('permit'), { ...env, PERMIT_SIGNING_KEYS: JSON.stringify([publicJwk(eventKey)]) });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/EVENT_SIGNING_KEY: missing/);
    expect(exit.stderr).toMatch(/PERMIT_SIGNING_KEYS \(0\.d\)/);
    expect(exit.listening).toBe(false);
  });

  it('a department whose time budgets do not nest refuses to start, and one whose database URI is not one', async () => {
    const budgets = await run(entryOf('fire-rescue'), { ...subgraphEnv, REQUEST_BUDGET_MS: '9000' });
    expect(budgets.code).toBe(1);
    expect(budgets.stderr).toMatch(/time budgets must nest: .*REQUEST_BUDGET_MS \(9000\) < SUBGRAPH_TIMEOUT_MS \(5000\)/);
    const uri = await run(entryOf('fire-rescue'), { ...subgraphEnv, MONGODB_URI: 'http://db', LAPSE_INTERVAL_MS: 'soon' });
    expect(uri.code).toBe(1);
    expect(uri.stderr).toMatch(/MONGODB_URI: must be a mongodb:\/\/ URI/);
    expect(uri.stderr).toMatch(/LAPSE_INTERVAL_MS: must be a whole number/);
  });

  it('the applications subgraph with a notifier but no token, and JSON that does not parse, refuses to start', async () => {
    const exit = await run(entryOf('applications'), { ...subgraphEnv, NOTIFIER_URL: 'http://127.0.0.1:9/', EVENT_VERIFY_KEYS: '{not json' });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/NOTIFIER_TOKEN: missing/);
    expect(exit.stderr).toMatch(/EVENT_VERIFY_KEYS: not valid JSON/);
  });

  it('the applications subgraph taking the city platform\'s hand-overs without a callback endpoint, or a callback key that is public only, refuses to start', async () => {
    const cityKeys = JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), kid: 'city-1' }] });
    const noCallback = await run(entryOf('applications'), { ...subgraphEnv, CITY_PLATFORM_KEYS: cityKeys });
    expect(noCallback.code).toBe(1);
    expect(noCallback.stderr).toMatch(/CITY_CALLBACK_URL: missing/);
    const publicOnly = await run(entryOf('applications'), {
      ...subgraphEnv,
      CITY_PLATFORM_KEYS: cityKeys,
      CITY_CALLBACK_URL: 'http://127.0.0.1:9/callbacks',
      CITY_CALLBACK_SIGNING_KEY: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), kid: 'ours-1' }),
    });
    expect(publicOnly.code).toBe(1);
    expect(publicOnly.stderr).toMatch(/CITY_CALLBACK_SIGNING_KEY \(d\)/);
  });

  it('the gateway with a short caller-token secret and no identity keys names both and exits 1', async () => {
    const exit = await run([join(REPO_ROOT, 'gateway', 'main.ts')], { JWT_SECRET: 'short', PORT: '0' });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/JWT_SECRET: too short/);
    expect(exit.stderr).toMatch(/GATEWAY_IDENTITY_KEYS: missing/);
    expect(exit.stderr).not.toMatch(/ at .*\.ts:\d+/); // said plainly, not as a stack trace
  });

  it('with its settings right, a subgraph gets past them and fails only on the missing database', async () => {
    const exit = await run(entryOf('permit'), { ...subgraphEnv, PERMIT_SIGNING_KEYS: JSON.stringify([await generateSigningKey('cfg-permit')]), DB_SERVER_SELECTION_MS: '500' });
    expect(exit.code).toBe(1);
    expect(exit.stderr).not.toMatch(/invalid configuration/);
    expect(exit.stderr).toMatch(/Mongo|ECONNREFUSED/);
  });
});
