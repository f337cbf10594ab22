import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, relative } from 'node:path';
import { request } from 'undici';
import type { JWK } from 'jose';
import { generateSigningKey, publicJwk } from '../../shared/keys';
import { generatePermitSigningKey } from '../../shared/permit-code';
import { REPO_ROOT, services } from '../../shared/registry';

/**
 * Starts the platform as separate processes: every subgraph, then the gateway.
 * Used by `npm start` and by the end-to-end tests (which can stop and restart
 * a single service to test faults).
 */
/**
 * Every secret the platform needs, and who gets which (docs/security.md):
 * - `jwt`: the development identity provider's HS256 secret (the gateway checks caller tokens with it);
 * - `identityKeys`: the gateway's Ed25519 keys for the identity it forwards (the first signs);
 *   only the gateway holds them, subgraphs get the public halves;
 * - `eventKeys`: each service's own Ed25519 key for the events it sends; each service holds
 *   only its own, every service gets all the public halves;
 * - `permitKeys`: the permit subgraph's Ed25519 keys for QR codes (the first signs).
 */
export interface PlatformSecrets {
  jwt: string;
  identityKeys: JWK[];
  eventKeys: Record<string, JWK>;
  permitKeys: JWK[];
}

/** Fresh secrets for a whole platform: one event key per service. */
export async function generateSecrets(label: string): Promise<PlatformSecrets> {
  const eventKeys: Record<string, JWK> = {};
  for (const s of services()) eventKeys[s.name] = await generateSigningKey(`${s.name}-${label}`);
  return {
    jwt: randomBytes(32).toString('hex'),
    identityKeys: [await generateSigningKey(`gateway-${label}`)],
    eventKeys,
    permitKeys: [await generatePermitSigningKey(`k-${label}`)],
  };
}

export interface PlatformOptions {
  mongoUri: string;
  dbPrefix: string;
  gatewayPort: number;
  documentsPort: number;
  /** Port for each service; default: the registry's. */
  ports?: Record<string, number>;
  secrets: PlatformSecrets;
  logDir: string;
  extraEnv?: Record<string, string>;
  /** Where the code is (default: this repository); the image test runs the Dockerfile's file set from elsewhere. */
  root?: string;
  /**
   * Replicas: where each instance of a service listens (default: one, on its
   * URL's port). With more than one, the service's URL is a load balancer's,
   * which the caller runs (test/support/balancer.ts), as a cluster would.
   */
  replicaPorts?: Record<string, number[]>;
  /** Each gateway replica's own settings, by replica (the scan bench runs one per federation runtime). */
  gatewayEnv?: Record<string, string>[];
}

export interface ServiceProcess {
  name: string;
  /** `<name>` for the first replica, `<name>#<n>` for the n-th after it. */
  instance: string;
  port: number;
  child: ChildProcess;
}

/** The name of a service's replica: its first is the service's own name. */
export const instanceName = (name: string, replica: number) => (replica === 0 ? name : `${name}#${replica}`);

export class Platform {
  readonly processes = new Map<string, ServiceProcess>();
  readonly gatewayUrl: string;
  /** The documents service: scan page, QR images, certificates, printable guides. */
  readonly documentsUrl: string;
  readonly serviceUrls: Record<string, string>;

  constructor(readonly options: PlatformOptions) {
    this.gatewayUrl = `http://127.0.0.1:${options.gatewayPort}`;
    this.documentsUrl = `http://127.0.0.1:${options.documentsPort}`;
    this.serviceUrls = Object.fromEntries(
      services().map((s) => [s.name, `http://127.0.0.1:${options.ports?.[s.name] ?? s.port}`]),
    );
    mkdirSync(options.logDir, { recursive: true });
  }

  /** The environment of one process: what every service reads, plus only the private keys that one holds. */
  env(name: string): NodeJS.ProcessEnv {
    const secrets = this.options.secrets;
    // Nothing inherited may hand a process a key it should not hold.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GATEWAY_IDENTITY_KEYS|EVENT_SIGNING_KEY|PERMIT_SIGNING_KEYS|JWT_SECRET)$/.test(k)));
    return {
      ...inherited,
      APOLLO_TELEMETRY_DISABLED: '1',
      DO_NOT_TRACK: '1',
      MONGODB_URI: this.options.mongoUri,
      DB_PREFIX: this.options.dbPrefix,
      GATEWAY_IDENTITY_JWKS: JSON.stringify({ keys: secrets.identityKeys.map(publicJwk) }),
      EVENT_VERIFY_KEYS: JSON.stringify(Object.fromEntries(Object.entries(secrets.eventKeys).map(([service, key]) => [service, [publicJwk(key)]]))),
      SERVICE_URLS: JSON.stringify(this.serviceUrls),
      PUBLIC_BASE_URL: this.documentsUrl,
      GATEWAY_URL: this.gatewayUrl,
      OTEL_SERVICE_NAME: name,
      ...(name === 'gateway' ? { JWT_SECRET: secrets.jwt, GATEWAY_IDENTITY_KEYS: JSON.stringify(secrets.identityKeys) } : {}),
      ...(secrets.eventKeys[name] ? { EVENT_SIGNING_KEY: JSON.stringify(secrets.eventKeys[name]) } : {}),
      ...(name === 'permit' ? { PERMIT_SIGNING_KEYS: JSON.stringify(secrets.permitKeys) } : {}),
      ...this.options.extraEnv,
    };
  }

  /** Where each replica of a service listens. */
  replicaPorts(name: string): number[] {
    const url = name === 'gateway' ? this.gatewayUrl : name === 'documents' ? this.documentsUrl : this.serviceUrls[name];
    return this.options.replicaPorts?.[name] ?? [Number(new URL(url).port)];
  }

  private spawnService(name: string, replica: number, entry: string, extraEnv: Record<string, string> = {}, args: string[] = []): ServiceProcess {
    const instance = instanceName(name, replica);
    const port = this.replicaPorts(name)[replica];
    if (!port) throw new Error(`${name} has no replica ${replica}`);
    const log = createWriteStream(join(this.options.logDir, `${instance}.log`), { flags: 'a' });
    const root = this.options.root ?? REPO_ROOT;
    const here = (path: string) => join(root, relative(REPO_ROOT, path));
    // `node --import tsx` keeps one process per service, so a kill really stops it.
    const child = spawn(process.execPath, ['--import', 'tsx', here(entry), ...args.map(here)], {
      cwd: root,
      env: { ...this.env(name), PORT: String(port), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const proc = { name, instance, port, child };
    this.processes.set(instance, proc);
    return proc;
  }

  private async startInstance(name: string, replica: number, entry: string, extraEnv: Record<string, string> = {}, args: string[] = []): Promise<void> {
    const proc = this.spawnService(name, replica, entry, extraEnv, args);
    // Each replica is checked at its own port, not through the balancer.
    await waitHealthy(`http://127.0.0.1:${proc.port}/healthz`, proc.child, name, proc.instance, this.options.logDir);
  }

  /** Starts one service (one replica of it); `extraEnv` overrides its environment (e.g. to hold its outbox in a fault test). */
  async startService(name: string, extraEnv: Record<string, string> = {}, replica = 0): Promise<void> {
    const service = services().find((s) => s.name === name);
    if (!service) throw new Error(`unknown service ${name}`);
    await this.startInstance(name, replica, service.entry, extraEnv, service.args);
  }

  async startGateway(replica = 0): Promise<void> {
    await this.startInstance('gateway', replica, join(REPO_ROOT, 'gateway', 'main.ts'), this.options.gatewayEnv?.[replica]);
  }

  async startDocuments(replica = 0): Promise<void> {
    await this.startInstance('documents', replica, join(REPO_ROOT, 'documents', 'main.ts'));
  }

  /** Starts an instance again by its name (`permit`, `permit#1`, `gateway#1`). */
  async restartInstance(instance: string): Promise<void> {
    const [name, replica] = instance.split('#');
    const n = Number(replica ?? 0);
    if (name === 'gateway') await this.startGateway(n);
    else if (name === 'documents') await this.startDocuments(n);
    else await this.startService(name, {}, n);
  }

  async start(): Promise<void> {
    // Two at a time: enough parallelism for two cores without starving either.
    const instances = services().flatMap((s) => this.replicaPorts(s.name).map((_, replica) => instanceName(s.name, replica)));
    for (let i = 0; i < instances.length; i += 2) {
      await Promise.all(instances.slice(i, i + 2).map((instance) => this.restartInstance(instance)));
    }
    for (const name of ['gateway', 'documents']) {
      for (const [replica] of this.replicaPorts(name).entries()) await this.restartInstance(instanceName(name, replica));
    }
  }

  /** Stops one instance (a service's name is its first replica): SIGKILL simulates a crash, SIGTERM a clean stop. */
  async stopService(instance: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.processes.get(instance);
    if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.child.once('exit', () => resolve());
      proc.child.kill(signal);
    });
    this.processes.delete(instance);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((name) => this.stopService(name)));
  }
}

async function waitHealthy(url: string, child: ChildProcess, name: string, instance: string, logDir: string, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${instance} exited with ${child.exitCode}; see ${join(logDir, `${instance}.log`)}`);
    try {
      const response = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
      const body = await response.body.text();
      // Healthy means this service answering, not whatever else may hold the port.
      if (response.statusCode === 200 && (JSON.parse(body) as { service?: string }).service === name) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${instance} did not become healthy within ${timeoutMs} ms; see ${join(logDir, `${instance}.log`)}`);
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * `n` different ports nothing listens on right now. All are held open until
 * every one is chosen: ports picked one after another can repeat (the OS may
 * hand out a just-released port again), and two services of one platform on
 * the same port would answer for each other.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/**
 * A whole platform on free ports with its own database names and fresh
 * secrets, for tests and benchmarks: nothing it does touches `npm start`'s.
 */
export async function startIsolatedPlatform(
  mongoUri: string,
  purpose: string,
  extraEnv: Record<string, string> = {},
  options: Pick<PlatformOptions, 'root' | 'gatewayEnv'> = {},
): Promise<Platform> {
  const prefix = `${purpose}${randomBytes(4).toString('hex')}_`;
  const all = services();
  const gateways = options.gatewayEnv?.length ?? 1;
  const free = await freePorts(all.length + 1 + gateways);
  const ports = Object.fromEntries(all.map((s, i) => [s.name, free[i]]));
  const platform = new Platform({
    mongoUri,
    dbPrefix: prefix,
    gatewayPort: free[all.length + 1],
    documentsPort: free[all.length],
    ports,
    // With several gateways, the first is the platform's (its URL); the others listen beside it.
    ...(gateways > 1 ? { replicaPorts: { gateway: free.slice(all.length + 1) } } : {}),
    secrets: await generateSecrets(prefix),
    logDir: join(REPO_ROOT, '.data', `${purpose}-logs`, prefix),
    extraEnv,
    ...options,
  });
  try {
    await platform.start();
  } catch (error) {
    await platform.stop();
    throw error;
  }
  return platform;
}
