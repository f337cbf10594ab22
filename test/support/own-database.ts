import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDatabase, type RunningDatabase } from './launcher';
import type { FerretDbBuild } from '../../scripts/lib/database';
import { freePort } from './launcher';
import { REPO_ROOT } from '../../shared/registry';

/**
 * A database server of a test's own, which the test may kill (`kill -9`) and
 * start again on the same port and files, as an outage would. Only the
 * embedded FerretDB can be treated so: with MONGODB_URI pointing at a server
 * the tests did not start, `killable` is false and such tests are skipped.
 */
export const killable = !process.env.MONGODB_URI || process.env.TEST_STARTED_DATABASE === '1';

export interface OwnDatabase {
  uri: string;
  /** SIGKILL: the server dies mid-write, as in a crash. */
  kill: () => Promise<void>;
  /** Starts it again on the same port and files. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

export async function ownDatabase(name: string, build?: FerretDbBuild): Promise<OwnDatabase> {
  const port = await freePort();
  const dataDir = join(REPO_ROOT, '.data', `${name}-ferretdb-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  // startDatabase uses MONGODB_URI when set; this one must be our own.
  const saved = process.env.MONGODB_URI;
  delete process.env.MONGODB_URI;
  const start = () => startDatabase({ port, dataDir, build });
  let running: RunningDatabase;
  try {
    running = await start();
  } finally {
    process.env.MONGODB_URI = saved;
  }
  const kill = async () => {
    const child = running.process!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  return {
    uri: running.uri,
    kill,
    restart: async () => {
      await kill();
      const before = process.env.MONGODB_URI;
      delete process.env.MONGODB_URI;
      try {
        running = await start();
      } finally {
        process.env.MONGODB_URI = before;
      }
    },
    stop: async () => {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
