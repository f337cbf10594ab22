import type { Connection } from 'mongoose';
import { connectDatabase } from '../../shared/db';
import { contractProblem, newEvent, type EventType, type PlatformEvent } from '../../shared/events';
import { department } from '../../shared/registry';
import type { Identity } from '../../shared/identity';
import { createLogger } from '../../shared/logger';
import { prepareDatabase, subgraphApolloServer, subgraphContext, type SubgraphDefinition } from '../../shared/subgraph-server';
import { generateSecrets, Platform } from './launcher';

/**
 * One subgraph in this process, without HTTP and without the gateway: its
 * schema and resolvers through Apollo Server's `executeOperation`, on its own
 * database on the test server, with the caller's identity handed in as the
 * gateway would after checking it. Events are handed to its handlers directly.
 * The end-to-end suites test the same code over real HTTP; these test one
 * subgraph's contract (its fields, `_entities`, its access rules) alone.
 */
export interface InProcessSubgraph {
  db: Connection;
  run: <T = Record<string, unknown>>(identity: Identity, query: string, variables?: Record<string, unknown>) => Promise<{ data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  /** Hands an event to the subgraph's handler, as its inbox would after checking the signature and the contract. */
  deliver: <T extends EventType>(type: T, source: string, payload: Record<string, unknown>, id?: string) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Sets the environment a platform process would get (fresh keys, the test
 * database server, a database prefix of its own), then builds the subgraph.
 * Call before anything reads the subgraph's configuration.
 */
export async function inProcessSubgraph(name: string, define: () => SubgraphDefinition): Promise<InProcessSubgraph> {
  const mongoUri = process.env.MONGODB_URI;
  if (!mongoUri) throw new Error('MONGODB_URI is not set: run the tests through jest (global setup starts the database)');
  const platform = new Platform({
    mongoUri,
    dbPrefix: `inproc_${process.pid}_${Date.now().toString(36)}_`,
    gatewayPort: 4000,
    documentsPort: 4080,
    secrets: await generateSecrets('inproc'),
    logDir: `${__dirname}/../../.data/logs-inproc`,
  });
  Object.assign(process.env, platform.env(name), { LOG_LEVEL: 'warn' });
  const definition = define();
  const log = createLogger(name);
  const db = await connectDatabase(definition.name);
  await prepareDatabase(definition, db, log);
  const server = subgraphApolloServer(definition);
  await server.start();
  const handlers = definition.eventHandlers?.(db, log, () => {}) ?? {};
  return {
    db,
    run: async (identity, query, variables) => {
      const response = await server.executeOperation({ query, variables }, { contextValue: subgraphContext(definition, identity, db, log, () => {}) });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult as never;
    },
    deliver: async (type, source, payload, id) => {
      const event: PlatformEvent = newEvent(type, source, definition.name, payload as never, id);
      // The contract is checked as the inbox checks it: a test cannot hand in what no sender could.
      const problem = contractProblem(event, (code) => department(code) !== undefined);
      if (problem) throw new Error(problem);
      const handler = handlers[type];
      if (!handler) throw new Error(`${definition.name} has no handler for ${type}`);
      await handler(event);
    },
    stop: async () => {
      await server.stop();
      await db.dropDatabase();
      await db.close();
    },
  };
}
