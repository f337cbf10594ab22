import '../../shared/no-telemetry';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import httpTransport from '@graphql-mesh/transport-http';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity } from '../../shared/identity';
import { REPO_ROOT } from '../../shared/registry';
import { placedSupergraph } from '../../gateway/hive';

/**
 * `bench:scan`'s reference: Hive Gateway as its examples start it, on the same
 * supergraph and subgraphs (SERVICE_URLS) and the same Hive Router planner,
 * with none of the project's code around it (no express, token check, limits,
 * metrics, spans or error mapping). It forwards the public identity, signed
 * with BENCH_IDENTITY_KEY, because the subgraphs refuse a request without one.
 * What the bench measures between it and the platform's gateway is what the
 * project's own gateway code costs; what it measures between it and the floor
 * is what the library costs.
 */
const key = JSON.parse(process.env.BENCH_IDENTITY_KEY!);
const runtime = createGatewayRuntime({
  supergraph: placedSupergraph(readFileSync(join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8')),
  transports: { http: httpTransport },
  unifiedGraphHandler,
  graphqlEndpoint: '/graphql',
  graphiql: false,
  landingPage: false,
  logging: false,
  maskedErrors: false,
  propagateHeaders: { fromClientToSubgraphs: async ({ subgraphName }) => ({ [IDENTITY_HEADER]: await signIdentity(PUBLIC_IDENTITY, subgraphName, key) }) },
});
const server = http.createServer(runtime);
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
