import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Identity } from '../../shared/identity';
import { REPO_ROOT, services } from '../../shared/registry';
import { Platform } from '../../scripts/lib/platform';
import { devToken } from '../../scripts/lib/tokens';
import { Walkthrough } from '../../scripts/lib/walkthrough';
import { freePort } from './ports';

/**
 * A whole platform for one test file: every subgraph and the gateway as real
 * processes on free ports, on the shared test database server but with their
 * own database names, and fresh secrets.
 */
export interface TestPlatform {
  platform: Platform;
  walk: Walkthrough;
  gatewayUrl: string;
  graphqlUrl: string;
  secrets: { jwt: string; identity: string; events: string };
  token: (identity: Identity) => Promise<string>;
  stop: () => Promise<void>;
}

export async function startTestPlatform(): Promise<TestPlatform> {
  const mongoUri = process.env.MONGODB_URI;
  if (!mongoUri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup starts the database)');
  const prefix = `t${randomBytes(4).toString('hex')}_`;
  const secrets = { jwt: randomBytes(32).toString('hex'), identity: randomBytes(32).toString('hex'), events: randomBytes(32).toString('hex') };
  const ports: Record<string, number> = {};
  for (const s of services()) ports[s.name] = await freePort();
  const platform = new Platform({
    mongoUri,
    dbPrefix: prefix,
    gatewayPort: await freePort(),
    ports,
    secrets,
    logDir: join(REPO_ROOT, '.data', 'test-logs', prefix),
    extraEnv: { OUTBOX_INTERVAL_MS: '200', LOG_LEVEL: 'info' },
  });
  try {
    await platform.start();
  } catch (error) {
    await platform.stop();
    throw error;
  }
  const token = (identity: Identity) => devToken(secrets.jwt, identity, '10m');
  return {
    platform,
    walk: new Walkthrough(platform.gatewayUrl, token),
    gatewayUrl: platform.gatewayUrl,
    graphqlUrl: `${platform.gatewayUrl}/graphql`,
    secrets,
    token,
    stop: () => platform.stop(),
  };
}
