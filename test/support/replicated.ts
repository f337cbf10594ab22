import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT, services } from '../../shared/registry';
import { startBalancer, type Balancer } from './balancer';
import { freePorts, generateSecrets, instanceName, Platform } from './launcher';

/**
 * The platform scaled out on one database: `replicas` processes of every
 * subgraph and of the gateway, each service reached through a load balancer
 * (as a cluster's service address), the documents service once.
 */
export interface ReplicatedPlatform {
  platform: Platform;
  /** Every instance name (`permit`, `permit#1`, …, `gateway`, `gateway#1`). */
  instances: string[];
  stop: () => Promise<void>;
}

export async function startReplicatedPlatform(mongoUri: string, purpose: string, replicas: number, extraEnv: Record<string, string> = {}): Promise<ReplicatedPlatform> {
  const prefix = `${purpose}${randomBytes(4).toString('hex')}_`;
  const scaled = [...services().map((s) => s.name), 'gateway'];
  const free = await freePorts(scaled.length * (replicas + 1) + 1);
  const take = (n: number) => free.splice(0, n);
  const urlPorts = Object.fromEntries(scaled.map((name) => [name, take(1)[0]]));
  const replicaPorts = Object.fromEntries(scaled.map((name) => [name, take(replicas)]));
  const { gateway: gatewayPort, ...ports } = urlPorts;
  const platform = new Platform({
    mongoUri,
    dbPrefix: prefix,
    gatewayPort,
    documentsPort: take(1)[0],
    ports,
    replicaPorts,
    secrets: await generateSecrets(prefix),
    logDir: join(REPO_ROOT, '.data', `${purpose}-logs`, prefix),
    extraEnv,
  });
  const balancers: Balancer[] = await Promise.all(scaled.map((name) => startBalancer(urlPorts[name], replicaPorts[name])));
  const stop = async () => {
    await platform.stop();
    await Promise.all(balancers.map((b) => b.close()));
  };
  try {
    await platform.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { platform, instances: scaled.flatMap((name) => Array.from({ length: replicas }, (_, r) => instanceName(name, r))), stop };
}
