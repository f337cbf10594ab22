import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../../shared/registry';

/**
 * The database for development and tests. With MONGODB_URI set, that server
 * is used as it is. Otherwise an embedded FerretDB 1.24.2 (MongoDB wire
 * protocol, SQLite files under .data/) is built from the Go module proxy on
 * first use and started here.
 */
export const FERRETDB_BINARY = join(REPO_ROOT, '.data', 'bin', 'ferretdb');

export function buildFerretDb(): void {
  if (existsSync(FERRETDB_BINARY)) return;
  mkdirSync(join(REPO_ROOT, '.data', 'bin'), { recursive: true });
  console.log('building FerretDB 1.24.2 from the Go module proxy (first run only)…');
  const result = spawnSync('go', ['build', '-o', FERRETDB_BINARY, '.'], {
    cwd: join(REPO_ROOT, 'scripts', 'ferretdb'),
    stdio: 'inherit',
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
  });
  if (result.status !== 0) throw new Error('could not build FerretDB (is Go installed?)');
}

export function waitForPort(port: number, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface RunningDatabase {
  uri: string;
  process?: ChildProcess;
  stop: () => Promise<void>;
}

export async function startDatabase(options: { port: number; dataDir: string }): Promise<RunningDatabase> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => {} };
  buildFerretDb();
  mkdirSync(options.dataDir, { recursive: true });
  const log = openSync(`${options.dataDir}.log`, 'a');
  const child = spawn(FERRETDB_BINARY, ['--listen', `127.0.0.1:${options.port}`, '--dir', options.dataDir], {
    stdio: ['ignore', log, log],
    env: { ...process.env, DO_NOT_TRACK: '1' },
  });
  await waitForPort(options.port);
  return {
    uri: `mongodb://127.0.0.1:${options.port}/`,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
