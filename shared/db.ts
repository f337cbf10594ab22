import { AsyncLocalStorage } from 'node:async_hooks';
import mongoose, { type Connection, type mongo } from 'mongoose';
import { databaseConfig } from './config';
import { platformError } from './errors';
import { OUTBOX_QUEUE } from './events/event';

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
 * one `_id` or a list of them alone (answered from the index), a `queue` sweep
 * when it reads the outbox queue (which holds only events not yet delivered),
 * otherwise a `sweep` (which the embedded database answers by reading the
 * whole collection).
 */
export const databaseCommandCounts = new Map<string, number>();

function commandKey(event: { commandName: string; command?: Record<string, unknown> }): string {
  if (event.commandName !== 'find') return event.commandName;
  const filter = (event.command?.filter ?? {}) as Record<string, unknown>;
  const keys = Object.keys(filter);
  if (keys.length === 1 && keys[0] === '_id' && (typeof filter._id === 'string' || Array.isArray((filter._id as { $in?: unknown })?.$in))) return 'find:byId';
  return event.command?.find === OUTBOX_QUEUE ? 'find:queue' : 'find:sweep';
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

/**
 * An index a store relies on, declared next to the store and made and checked
 * at every start (`ensureIndexes`). `{ _id: 1 }` declares a collection read by
 * id: every database keeps that index, and the check proves lookups use it.
 */
export interface IndexDeclaration {
  collection: string;
  keys: Record<string, 1 | -1>;
  unique?: boolean;
  /** The reads it serves, for whoever wonders whether it can go. */
  serves: string;
}

/** The plan names an index: MongoDB's IDHACK / (EXPRESS_)IXSCAN, FerretDB's SQLite `USING INDEX`, its PostgreSQL `Index Scan`. */
export function planUsesIndex(explain: unknown): boolean {
  const planner = (explain as { queryPlanner?: unknown } | null)?.queryPlanner ?? explain;
  return /IDHACK|IXSCAN|USING (COVERING )?INDEX|Index (Only )?Scan/.test(JSON.stringify(planner ?? ''));
}

export class IndexCheckError extends Error {}

const NAMESPACE_EXISTS = 48;

/**
 * Creates the declared indexes, then checks that each exists and that a lookup
 * by id in each collection read by id is answered from the index. A database
 * that would read a whole collection per lookup (FerretDB 1.24 on SQLite
 * unpatched, or on PostgreSQL) is refused at start: on it a scan's cost grows
 * with the number of permits stored (README, "The database").
 */
export async function ensureIndexes(db: mongo.Db, declared: readonly IndexDeclaration[]): Promise<void> {
  for (const index of declared) {
    if (isIdIndex(index)) {
      await db.createCollection(index.collection).catch((error: { code?: number }) => {
        if (error.code !== NAMESPACE_EXISTS) throw error;
      });
    } else {
      await db.collection(index.collection).createIndex(index.keys, { unique: index.unique ?? false });
    }
  }
  // Each collection's indexes read once, however many of them are declared.
  const listed = new Map<string, Promise<mongo.Document[]>>();
  const indexesOf = (collection: string) => {
    if (!listed.has(collection)) listed.set(collection, db.collection(collection).listIndexes().toArray());
    return listed.get(collection)!;
  };
  for (const index of declared) {
    const existing = await indexesOf(index.collection);
    const wanted = JSON.stringify(index.keys);
    if (!existing.some((e) => JSON.stringify(e.key) === wanted && (isIdIndex(index) || Boolean(e.unique) === Boolean(index.unique)))) {
      throw new IndexCheckError(`${db.databaseName}.${index.collection}: index ${wanted}${index.unique ? ' (unique)' : ''} is missing (it serves: ${index.serves})`);
    }
    if (isIdIndex(index)) {
      // One id, and several at once (records.ts `byIds`).
      for (const [lookup, filter] of [['a lookup by _id', { _id: '~index-check' }], ['a lookup of several _ids', { _id: { $in: ['~index-check', '~index-check-2'] } }]] as const) {
        const explain = await db.collection<{ _id: string }>(index.collection).find(filter).explain();
        if (!planUsesIndex(explain)) {
          throw new IndexCheckError(
            `${db.databaseName}.${index.collection}: ${lookup} reads the whole collection (plan: ${JSON.stringify((explain as { queryPlanner?: unknown }).queryPlanner)}). ` +
              'Use MongoDB, or the embedded FerretDB built by scripts/lib/database.ts (patched so that lookups by _id use the index).',
          );
        }
      }
    }
  }
}

/** `{ _id: 1 }`: the declaration of a collection read by id. */
export function isIdIndex(index: IndexDeclaration): boolean {
  return Object.keys(index.keys).length === 1 && index.keys._id === 1;
}
