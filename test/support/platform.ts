import type { Identity } from '../../shared/identity';
import { startIsolatedPlatform, type Platform } from './launcher';
import { devToken } from './launcher';
import { Walkthrough } from './walkthrough';

/**
 * A whole platform for one test file: every subgraph and the gateway as real
 * processes on free ports, on the shared test database server but with their
 * own database names, and fresh secrets.
 */
export interface TestPlatform {
  platform: Platform;
  walk: Walkthrough;
  gatewayUrl: string;
  /** The documents service: scan page, QR images, certificates, guides. */
  documentsUrl: string;
  graphqlUrl: string;
  secrets: Platform['options']['secrets'];
  token: (identity: Identity) => Promise<string>;
  stop: () => Promise<void>;
}

export async function startTestPlatform(extraEnv: Record<string, string> = {}): Promise<TestPlatform> {
  const mongoUri = process.env.MONGODB_URI;
  if (!mongoUri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup starts the database)');
  // Short intervals: tests wait for sweeps and for licences to lapse, not for a day to pass.
  const platform = await startIsolatedPlatform(mongoUri, 't', { OUTBOX_INTERVAL_MS: '200', LAPSE_INTERVAL_MS: '2000', ...extraEnv });
  const secrets = platform.options.secrets;
  const token = (identity: Identity) => devToken(secrets.jwt, identity, '10m');
  return {
    platform,
    walk: new Walkthrough(platform.gatewayUrl, token),
    gatewayUrl: platform.gatewayUrl,
    documentsUrl: platform.documentsUrl,
    graphqlUrl: `${platform.gatewayUrl}/graphql`,
    secrets,
    token,
    stop: () => platform.stop(),
  };
}
