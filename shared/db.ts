import { AsyncLocalStorage } from 'node:async_hooks';
import mongoose, { type Connection } from 'mongoose';
import { databaseConfig } from './config';
import { platformError } from './errors';

/**
 * Each subgraph has its own database on the server named by MONGODB_URI:
 * `<DB_PREFIX><service>` (dashes become underscores). DB_PREFIX lets tests
 * run isolated platforms on one server.
 */
export function databaseName(service: string): string {
  return `${databaseConfig().DB_PREFIX}${service.replace(/-/g, '_')}`;
}

/**
 * Database commands sent by this process, by command name and kind (from the
 * driver's command monitoring): a `find` is a lookup `byId` when its filter is
 * one `_id` alone (answered from the index on every database), otherwise a
 * `sweep` (which the embedded database answers by reading the whole collection).
 */
export const databaseCommandCounts = new Map<string, number>();

function commandKey(event: { commandName: string; command?: Record<string, unknown> }): string {
  if (event.commandName !== 'find') return event.commandName;
  const filter = (event.command?.filter ?? {}) as Record<string, unknown>;
  const keys = Object.keys(filter);
  return keys.length === 1 && keys[0] === '_id' && typeof filter._id === 'string' ? 'find:byId' : 'find:sweep';
}
const HANDSHAKE_COMMANDS = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'buildInfo', 'endSessions', 'saslStart', 'saslContinue']);

/*
 * Time budgets that agree (docs/architecture.md): the gateway waits
 * SUBGRAPH_TIMEOUT_MS (5 s) for a subgraph; a subgraph answers within
 * REQUEST_BUDGET_MS (4 s) and never starts a write it cannot finish inside it;
 * each database operation gives up after DB_TIMEOUT_MS (3 s), and finding a
 * server after DB_SERVER_SELECTION_MS (2 s). So when the database is down, the
 * driver gives up before the gateway does and nothing is written late:
 * "unavailable" means "not written". `checkSubgraphConfig` refuses budgets that
 * do not nest.
 */

const requestDeadline = new AsyncLocalStorage<number>();

/** Runs `fn` (a request) with a deadline that every write inside it respects. */
export function withRequestDeadline<T>(fn: () => T, budgetMs: number): T {
  return requestDeadline.run(Date.now() + budgetMs, fn);
}

/** When the current request's budget ends (epoch ms), if this runs inside one: an answer after it reaches nobody. */
export function requestDeadlineAt(): number | undefined {
  return requestDeadline.getStore();
}

/**
 * Options for a write: inside a request, it must finish before the request's
 * deadline or not be sent at all (the caller has been told "unavailable" by then).
 */
export function writeOptions(): { timeoutMS?: number } {
  const deadline = requestDeadline.getStore();
  if (deadline === undefined) return {};
  const remaining = deadline - Date.now();
  if (remaining < 100) {
    throw platformError('UNAVAILABLE', '服务繁忙，本次操作未执行，请稍后重试', 'The service is busy; nothing was written. Try again shortly');
  }
  return { timeoutMS: Math.min(remaining, databaseConfig().DB_TIMEOUT_MS) };
}

export async function connectDatabase(service: string): Promise<Connection> {
  const { MONGODB_URI, DB_SERVER_SELECTION_MS, DB_TIMEOUT_MS } = databaseConfig();
  const connection = mongoose.createConnection(MONGODB_URI, {
    dbName: databaseName(service),
    serverSelectionTimeoutMS: DB_SERVER_SELECTION_MS,
    connectTimeoutMS: DB_SERVER_SELECTION_MS,
    socketTimeoutMS: DB_TIMEOUT_MS * 2,
    // FerretDB has no sessions or transactions; nothing here relies on them.
    autoIndex: true,
    monitorCommands: true,
  });
  connection.getClient().on('commandStarted', (event: { commandName: string; command?: Record<string, unknown> }) => {
    if (HANDSHAKE_COMMANDS.has(event.commandName)) return;
    const key = commandKey(event);
    databaseCommandCounts.set(key, (databaseCommandCounts.get(key) ?? 0) + 1);
  });
  await connection.asPromise();
  return connection;
}

/** Mongo's duplicate-key error: how a unique-index insert tells us a claim was lost. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 11000;
}
