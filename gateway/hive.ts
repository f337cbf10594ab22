import { createGatewayRuntime, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import httpTransport from '@graphql-mesh/transport-http';
import { getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from '@envelop/core';
import { formatError } from '../shared/errors';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity, type Identity } from '../shared/identity';
import { serviceUrl } from '../shared/registry';
import { gatewayConfig } from './config';
import { subgraphTimeoutMs } from './data-source';
import type { GatewayMetrics } from './metrics';

/**
 * The second federation runtime: Hive Gateway's (MIT), on the same
 * supergraph, behind the same express routes, token check and limits
 * (server.ts), forwarding the same signed identity to each subgraph. It
 * executes the licence interface's fan-out for a fraction of Apollo
 * Gateway's CPU (README, "Gateway runtimes"). GATEWAY_RUNTIME picks it.
 */
interface HiveContext {
  req?: unknown;
  res?: { locals?: { identity?: Identity } };
}

/** The supergraph with each subgraph's URL where the registry and SERVICE_URLS place it (as Apollo Gateway's buildService does). */
export function placedSupergraph(sdl: string): string {
  return sdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (_whole, name: string) => `@join__graph(name: "${name}", url: "${serviceUrl(name)}/graphql")`);
}

export function hiveRuntime(supergraphSdl: string, metrics: GatewayMetrics): GatewayRuntime<HiveContext> {
  const identityOf = (context: HiveContext | undefined) => context?.res?.locals?.identity ?? PUBLIC_IDENTITY;
  return createGatewayRuntime<HiveContext>({
    supergraph: placedSupergraph(supergraphSdl),
    transports: { http: httpTransport },
    graphqlEndpoint: '/graphql',
    // GraphiQL, health checks and the landing page are the express app's (server.ts).
    graphiql: false,
    landingPage: false,
    logging: false,
    // Signed for this subgraph only: replayed to another, it is refused.
    propagateHeaders: {
      fromClientToSubgraphs: async ({ context, subgraphName }) => ({
        [IDENTITY_HEADER]: await signIdentity(identityOf(context as HiveContext), subgraphName, gatewayConfig().GATEWAY_IDENTITY_KEYS[0]),
      }),
    },
    upstreamTimeout: ({ subgraphName }) => subgraphTimeoutMs(subgraphName ?? ''),
    // Errors say what the Apollo runtime says: the project's codes, nothing internal.
    maskedErrors: false,
    plugins: () => [executionMetrics(metrics)],
  });
}

/** Counts each operation Hive Gateway executes and how long it took, and says its errors as the Apollo runtime does. */
function executionMetrics(metrics: GatewayMetrics): Plugin {
  return {
    onExecute: ({ args }) => {
      const started = process.hrtime.bigint();
      const operation = metrics.operation(args.operationName ?? getOperationAST(args.document, args.operationName)?.name?.value);
      return {
        onExecuteDone: ({ result, setResult }) => {
          const single = result as ExecutionResult;
          if (single.errors?.length) setResult({ ...single, errors: single.errors.map((error) => asProjectError(error, metrics)) });
          metrics.requests.inc({ operation, outcome: single.errors?.length ? 'error' : 'ok' });
          metrics.duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

/** A subgraph that could not be reached is SUBGRAPH_UNAVAILABLE with its name, as with Apollo Gateway; the rest goes through the project's formatting. */
function asProjectError(error: GraphQLError, metrics: GatewayMetrics): GraphQLError {
  const serviceName = (error.extensions?.serviceName ?? error.extensions?.subgraphName) as string | undefined;
  const code = error.extensions?.code as string | undefined;
  if (serviceName && (!code || code === 'DOWNSTREAM_SERVICE_ERROR' || code === 'GATEWAY_TIMEOUT')) {
    metrics.subgraphErrors.inc({ subgraph: serviceName, kind: code === 'GATEWAY_TIMEOUT' ? 'timeout' : 'unavailable' });
    return new GraphQLError(`${serviceName} 暂时无法访问 / ${serviceName} is unavailable: ${error.message}`, {
      path: error.path,
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName },
    });
  }
  const formatted = formatError(error.toJSON(), error);
  return new GraphQLError(formatted.message, { path: error.path, extensions: formatted.extensions });
}
