import './no-telemetry';
import http from 'node:http';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import type { Connection } from 'mongoose';
import { ConfigError, subgraphConfig } from './config';
import { IDENTITY_HEADER, verifyIdentity, type Identity } from './identity';
import { formatError } from './errors';
import { keepIdleConnectionsOpen } from './http-server';
import { createLogger, type Logger } from './logger';
import { connectDatabase, databaseCommandCounts, ensureIndexes, withRequestDeadline, type IndexDeclaration } from './db';
import { Counter } from 'prom-client';
import { serviceMetrics } from './metrics';
import { checkEventKeys, EventInbox, INBOX_INDEXES, OutboxRelay, RELAY_INDEXES, type EventHandler, type ExternalDelivery, type OutboxSource } from './events';

/** What every resolver receives. */
export interface SubgraphContext {
  identity: Identity;
  db: Connection;
  log: Logger;
  /** Per-request loaders, created by the subgraph's `createLoaders`. */
  loaders: Record<string, unknown>;
  /** Nudges the outbox relay after a write that queued events. */
  kickOutbox: () => void;
}

/** A resolver map as `buildSubgraphSchema` takes it (its type is not exported, so it is read off the function); each subgraph's map is typed by its generated `Resolvers`. */
type SchemaModule = Exclude<Extract<Parameters<typeof buildSubgraphSchema>[0], readonly unknown[]>[number], DocumentNode>;
export type SubgraphResolvers = NonNullable<SchemaModule['resolvers']>;

export interface SubgraphDefinition {
  /** Service name: also the database name and the event destination name. */
  name: string;
  typeDefs: string;
  resolvers: SubgraphResolvers;
  /** The collections whose documents carry events or effects to complete, each store declaring its own. */
  outboxSources?: (db: Connection, log: Logger) => OutboxSource[];
  eventHandlers?: (db: Connection, log: Logger, kickOutbox: () => void) => Record<string, EventHandler>;
  createLoaders?: (db: Connection) => Record<string, unknown>;
  /** The indexes its stores rely on, made and checked at start (`ensureIndexes`). */
  indexes?: readonly IndexDeclaration[];
  /** Runs once after connecting and making the indexes (seed data). */
  prepare?: (db: Connection, log: Logger) => Promise<void>;
  /** Runs before each outbox sweep (e.g. to lapse licences past their end date). */
  beforeSweep?: (db: Connection, log: Logger) => Promise<void>;
  /** Deliveries to outside systems, by outbox destination name. */
  externalDeliveries?: Record<string, ExternalDelivery>;
  /** Routes beside GraphQL for callers that are not the gateway, each checking its caller itself (the city platform's hand-overs). */
  routes?: (db: Connection, log: Logger) => express.Router;
  /** The service's own settings (beyond `subgraphConfig`), read at start so a missing one stops it there. */
  config?: () => unknown;
}

export interface RunningSubgraph {
  url: string;
  close: () => Promise<void>;
}

export function buildSchema(definition: Pick<SubgraphDefinition, 'typeDefs' | 'resolvers'>) {
  return buildSubgraphSchema([{ typeDefs: parse(definition.typeDefs), resolvers: definition.resolvers }]);
}

/** The subgraph's Apollo Server, the same for the running service and for in-process tests (`plugins`: the caller's own). */
export function subgraphApolloServer(definition: SubgraphDefinition, plugins: ApolloServerPlugin<SubgraphContext>[] = []): ApolloServer<SubgraphContext> {
  return new ApolloServer<SubgraphContext>({
    schema: buildSchema(definition),
    // Nothing leaves the platform: no inline traces for a usage-reporting gateway either.
    plugins: [...plugins, ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    formatError,
    includeStacktraceInErrorResponses: false,
  });
}

/** What one request's resolvers receive: the caller's verified identity, the database, and fresh loaders. */
export function subgraphContext(definition: SubgraphDefinition, identity: Identity, db: Connection, log: Logger, kickOutbox: () => void): SubgraphContext {
  return { identity, db, log, loaders: definition.createLoaders?.(db) ?? {}, kickOutbox };
}

/** A subgraph's routes, ready to be served (alone, or mounted beside others by the development runner). */
export interface BuiltSubgraph {
  app: express.Express;
  log: Logger;
  /** Starts sending events (once the routes are served). */
  startRelay: () => void;
  close: () => Promise<void>;
}

/**
 * Starts one subgraph: Apollo Server on Express, refusing any request without
 * the gateway's signed identity; `/events` for incoming events; `/healthz` and
 * `/readyz` for operators.
 */
export async function startSubgraph(definition: SubgraphDefinition, port: number): Promise<RunningSubgraph> {
  const app = express();
  const httpServer = http.createServer(app);
  keepIdleConnectionsOpen(httpServer);
  const built = await buildSubgraph(definition, [ApolloServerPluginDrainHttpServer({ httpServer })]);
  app.use(built.app);
  await new Promise<void>((resolve) => httpServer.listen(port, subgraphConfig().LISTEN_HOST, resolve));
  built.startRelay();
  const address = httpServer.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  built.log.info({ port: actualPort }, `${definition.name} subgraph ready`);
  return { url: `http://127.0.0.1:${actualPort}/graphql`, close: built.close };
}

/**
 * Makes and checks the indexes of the service's stores and of its event
 * machinery (a database that would answer a lookup by id by reading the whole
 * collection is refused here), then runs the service's own preparation.
 */
export async function prepareDatabase(definition: SubgraphDefinition, db: Connection, log: Logger): Promise<void> {
  await ensureIndexes(db.db!, [
    ...RELAY_INDEXES,
    ...INBOX_INDEXES,
    { collection: 'event_replays', keys: { _id: 1 }, serves: 'an operator\'s replay, sent by the relay' },
    ...(definition.indexes ?? []),
  ]);
  await definition.prepare?.(db, log);
}

/** Builds one subgraph's routes, its database connection, its relay and its inbox (`plugins`: the server's own, e.g. draining). */
export async function buildSubgraph(definition: SubgraphDefinition, plugins: ApolloServerPlugin<SubgraphContext>[] = []): Promise<BuiltSubgraph> {
  // Refuse to start without what every request and event needs, saying which (shared/config.ts).
  checkConfiguration(definition);
  await checkEventKeys();
  const log = createLogger(definition.name);
  const db = await connectDatabase(definition.name);
  await prepareDatabase(definition, db, log);

  // Every service also sends what an operator replays from its dead letters (scripts/dead-letters.ts).
  const relay = new OutboxRelay(db, [...(definition.outboxSources?.(db, log) ?? []), { collection: 'event_replays' }], log, {
    beforeSweep: definition.beforeSweep ? () => definition.beforeSweep!(db, log) : undefined,
    external: definition.externalDeliveries,
  });
  const kickOutbox = () => relay.kick();
  const inbox = new EventInbox(db, definition.name, definition.eventHandlers?.(db, log, kickOutbox) ?? {}, log, kickOutbox);

  const app = express();
  const server = subgraphApolloServer(definition, plugins);
  await server.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: definition.name });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await db.db!.admin().ping();
      res.json({ status: 'ready', service: definition.name });
    } catch (error) {
      res.status(503).json({ status: 'database unavailable', error: String(error) });
    }
  });
  // Prometheus text format: database commands by name, for operators and the benchmarks.
  const metrics = serviceMetrics(definition.name);
  new Counter({
    name: 'yiye_db_commands_total',
    help: 'Database commands sent, by command (and, for finds, what they were for)',
    labelNames: ['command'] as const,
    registers: [metrics],
    // Counted where the driver reports them (shared/db.ts); read at each scrape.
    collect() {
      this.reset();
      for (const [command, count] of databaseCommandCounts) this.inc({ command }, count);
    },
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
  app.post('/events', express.json({ limit: '1mb' }), async (req, res) => {
    try {
      const result = await withRequestDeadline(() => inbox.receive(String(req.body?.token ?? '')), subgraphConfig().REQUEST_BUDGET_MS);
      res.status(result.status).json(result.body);
    } catch (error) {
      log.error({ err: error }, 'event handler failed');
      res.status(500).json({ error: 'handler failed; retry' });
    }
  });
  if (definition.routes) app.use(definition.routes(db, log));
  app.use(
    '/graphql',
    (_req, res, next) => {
      res.locals.receivedAt = Date.now();
      next();
    },
    // Identity first: no signature, no GraphQL (invariant 5).
    async (req, res, next) => {
      const header = req.header(IDENTITY_HEADER);
      try {
        if (!header) throw new Error('missing');
        res.locals.identity = await verifyIdentity(header, definition.name);
        next();
      } catch {
        res.status(401).json({
          errors: [
            {
              message: '请求未经网关签名，已拒绝 / Request not signed by the gateway; refused',
              extensions: { code: 'UNAUTHENTICATED' },
            },
          ],
        });
      }
    },
    express.json({ limit: '8mb' }),
    // Every write of the request must finish within its budget, counted from its arrival, or not start (db.ts).
    (_req, res, next) => withRequestDeadline(next, subgraphConfig().REQUEST_BUDGET_MS - (Date.now() - res.locals.receivedAt)),
    expressMiddleware(server, {
      context: async ({ res }) => subgraphContext(definition, res.locals.identity as Identity, db, log, kickOutbox),
    }),
  );

  // Every route ends here: a plain answer, never a stack trace or a path on this machine.
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).type('text').send('未找到 / Not found');
  });
  app.use((error: { status?: number; statusCode?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status ?? error.statusCode ?? 500;
    if (status >= 500) log.error({ err: error }, 'request failed');
    res
      .status(status >= 400 && status < 600 ? status : 500)
      .type('text')
      .send(status < 500 ? '请求有误 / Bad request' : '服务器内部错误，请稍后重试 / Internal error; try again shortly');
  });

  return {
    app,
    log,
    startRelay: () => relay.start(),
    close: async () => {
      await relay.stop();
      await server.stop();
      await db.close();
    },
  };
}

/** Every problem with the common and the service's own settings at once, or none. */
function checkConfiguration(definition: SubgraphDefinition): void {
  const problems: string[] = [];
  for (const check of [subgraphConfig, definition.config ?? (() => undefined)]) {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new ConfigError(definition.name, problems);
}

/** Entry-point helper: start on PORT (or the registry's port) and stop cleanly on signals. */
export function runSubgraph(definition: SubgraphDefinition, defaultPort: number): void {
  let port: number;
  try {
    checkConfiguration(definition);
    port = subgraphConfig().PORT ?? defaultPort;
  } catch (error) {
    console.error(`${definition.name} failed to start:`, error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  startSubgraph(definition, port).then(
    (running) => {
      const shutdown = () => {
        running.close().finally(() => process.exit(0));
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    },
    (error) => {
      console.error(`${definition.name} failed to start`, error);
      process.exit(1);
    },
  );
}
