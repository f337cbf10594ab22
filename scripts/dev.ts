import '../shared/no-telemetry';
import http from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { publicJwk } from '../shared/keys';
import { REPO_ROOT, services } from '../shared/registry';
import { buildSubgraph, type BuiltSubgraph } from '../shared/subgraph-server';
import { keepIdleConnectionsOpen } from '../shared/http-server';
import { subgraphDefinitions } from '../subgraphs';
import { startDatabase } from './lib/database';
import { devSecrets } from './start';

/**
 * `npm run dev`: the whole platform in ONE process, for development on a small
 * machine: every subgraph mounted on its own path of one port
 * (`http://127.0.0.1:4100/<service>/graphql`, `/events`, `/readyz`), the
 * gateway on 4000 and the documents service on 4080, as `npm start` places
 * them. Each subgraph keeps its own database, schema, relay and inbox; what
 * it gives up is process isolation, so this is for development only: in
 * production each service runs alone (docs/operations.md). One process holds
 * every key here, and every service signs its events with the same
 * development key.
 */
async function main(): Promise<void> {
  const subgraphPort = Number(process.env.SUBGRAPHS_PORT ?? 4100);
  const gatewayPort = Number(process.env.GATEWAY_PORT ?? 4000);
  const documentsPort = Number(process.env.DOCUMENTS_PORT ?? 4080);
  const database = await startDatabase({ port: Number(process.env.FERRETDB_PORT ?? 27018), dataDir: join(REPO_ROOT, '.data', 'ferretdb') });
  const secrets = await devSecrets();
  const eventKey = secrets.eventKeys.applications;
  const base = `http://127.0.0.1:${subgraphPort}`;
  Object.assign(process.env, {
    MONGODB_URI: database.uri,
    DB_PREFIX: process.env.DB_PREFIX ?? 'yiye_',
    SERVICE_URLS: JSON.stringify(Object.fromEntries(services().map((s) => [s.name, `${base}/${s.name}`]))),
    GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
    PUBLIC_BASE_URL: `http://127.0.0.1:${documentsPort}`,
    JWT_SECRET: secrets.jwt,
    GATEWAY_IDENTITY_KEYS: JSON.stringify(secrets.identityKeys),
    GATEWAY_IDENTITY_JWKS: JSON.stringify({ keys: secrets.identityKeys.map(publicJwk) }),
    EVENT_SIGNING_KEY: JSON.stringify(eventKey),
    EVENT_VERIFY_KEYS: JSON.stringify(Object.fromEntries(services().map((s) => [s.name, [publicJwk(eventKey)]]))),
    PERMIT_SIGNING_KEYS: JSON.stringify(secrets.permitKeys),
  });

  const app = express();
  app.disable('x-powered-by');
  const server = http.createServer(app);
  keepIdleConnectionsOpen(server);
  const built: BuiltSubgraph[] = [];
  for (const definition of subgraphDefinitions()) {
    const subgraph = await buildSubgraph(definition);
    app.use(`/${definition.name}`, subgraph.app);
    built.push(subgraph);
  }
  await new Promise<void>((resolve) => server.listen(subgraphPort, '127.0.0.1', resolve));
  for (const subgraph of built) subgraph.startRelay();
  // The gateway and the documents service read their settings at start: loaded after the environment is set.
  const { startGateway } = await import('../gateway/server');
  const { startDocuments } = await import('../documents/server');
  const gateway = await startGateway(gatewayPort);
  const documents = await startDocuments(documentsPort);

  const stop = async () => {
    await documents.close();
    await gateway.close();
    await Promise.all(built.map((s) => s.close()));
    server.close();
    await database.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const megabytes = Math.round(process.memoryUsage().rss / 2 ** 20);
  console.log(`
一业一证 platform is up in one process (${built.length} subgraphs, ${megabytes} MiB resident; database: ${database.uri})
  GraphQL    http://127.0.0.1:${gatewayPort}/graphql   (GraphiQL: /graphiql)
  documents  http://127.0.0.1:${documentsPort}
  subgraphs  ${base}/<service>/graphql
For development only: npm start runs each service as its own process, as production does.`);
}

main().catch((error: unknown) => {
  console.error('the development platform failed to start:', error);
  process.exit(1);
});
