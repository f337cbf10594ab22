/**
 * The one seam between the tests and the operator's tooling: the tests start
 * the platform, its database and its tokens exactly as `npm start` does, so
 * what they pass is what an operator runs. Nothing else of scripts/ is used
 * by the tests; the rest of the harness (the GraphQL client, the walkthrough,
 * sample values, metrics) is the tests' own, in this folder.
 */
export { freePort, freePorts, generateSecrets, instanceName, Platform, startIsolatedPlatform, type PlatformSecrets } from '../../scripts/lib/platform';
export { startDatabase, type RunningDatabase } from '../../scripts/lib/database';
export { devToken } from '../../scripts/lib/tokens';
export { DEV_SECRETS_FILE } from '../../scripts/start';
