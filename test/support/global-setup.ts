import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../shared/registry';
import { startDatabase } from './launcher';
import { freePort } from './launcher';

/**
 * One database server for the whole run: the given MONGODB_URI, or a fresh
 * embedded FerretDB. Each test platform then uses its own database names.
 */
export default async function globalSetup(): Promise<void> {
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  if (process.env.MONGODB_URI) return;
  const dataDir = join(REPO_ROOT, '.data', `test-ferretdb-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const database = await startDatabase({ port: await freePort(), dataDir });
  process.env.MONGODB_URI = database.uri;
  process.env.TEST_STARTED_DATABASE = '1';
  (globalThis as Record<string, unknown>).__testDatabase = { database, dataDir };
}
