import { createGatewayRuntime, useCustomFetch, type GatewayPlugin, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import httpTransport from '@graphql-mesh/transport-http';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import { formatError } from '../shared/errors';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity, type Identity } from '../shared/identity';
import { services, serviceUrl } from '../shared/registry';
import { gatewayConfig } from './config';
import { subgraphAgent, subgraphFetch, subgraphTimeoutMs } from './data-source';
import type { GatewayMetrics } from './metrics';

/**
 * The second federation runtime: Hive Gateway's (MIT), on the same
 * supergraph, behind the same express routes, token check and limits
 * (server.ts), forwarding the same signed identity to each subgraph. It sends
 * identical subgraph requests in flight at the same moment once (many
 * scanning one permit), and otherwise keeps pace with Apollo Gateway
 * (README, "Gateway runtimes"). GATEWAY_RUNTIME picks it.
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
  // Timeouts per subgraph are Hive's (upstreamTimeout); the agent's own are the longest of them, a backstop.
  const agent = subgraphAgent(Math.max(...services().map((s) => subgraphTimeoutMs(s.name))));
  return createGatewayRuntime<HiveContext>({
    supergraph: placedSupergraph(supergraphSdl),
    transports: { http: httpTransport },
    unifiedGraphHandler,
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
    plugins: () => [
      // The same pooled connections as the Apollo runtime's, with the same socket limit (SUBGRAPH_MAX_SOCKETS).
      useCustomFetch(subgraphFetch(agent) as never),
      tracing(),
      executionMetrics(metrics),
      projectErrors(metrics, gatewayConfig().NODE_ENV === 'production'),
    ],
  });
}

/**
 * Spans for the gateway's own work, under the request's span (shared/tracing.ts
 * starts the SDK; without a collector these are no-ops): one for executing the
 * operation, one per subgraph fetch, whose HTTP request carries the trace on.
 */
function tracing(): GatewayPlugin<HiveContext> {
  const tracer = trace.getTracer('gateway');
  const traced = <T>(name: string, attributes: Record<string, string>, wrapped: () => T): T =>
    tracer.startActiveSpan(name, { attributes }, (span) => {
      const fail = (error: unknown) => {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      };
      try {
        const result = wrapped();
        if (result instanceof Promise) return result.then((value) => (span.end(), value), fail) as T;
        span.end();
        return result;
      } catch (error) {
        return fail(error);
      }
    });
  return {
    instrumentation: {
      execute: ({ context }, wrapped) => traced('gateway.execute', { 'graphql.operation.name': String((context as { params?: { operationName?: string } }).params?.operationName ?? '') }, wrapped),
      subgraphExecute: ({ subgraphName }, wrapped) => traced('gateway.fetch', { 'graphql.subgraph': subgraphName }, wrapped),
    },
  };
}

/** Counts each operation Hive Gateway executes and how long it took. */
function executionMetrics(metrics: GatewayMetrics): GatewayPlugin<HiveContext> {
  return {
    onExecute: ({ args }) => {
      const started = process.hrtime.bigint();
      const operation = metrics.operation(args.operationName ?? getOperationAST(args.document, args.operationName)?.name?.value);
      return {
        onExecuteDone: ({ result }) => {
          const single = result as ExecutionResult;
          metrics.requests.inc({ operation, outcome: single.errors?.length ? 'error' : 'ok' });
          metrics.duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

/** Errors passed on from a subgraph may be plain objects. */
function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const plain = error as { message?: string; path?: (string | number)[]; extensions?: Record<string, unknown> };
  return new GraphQLError(String(plain.message ?? error), { path: plain.path, extensions: plain.extensions });
}

/** Transport failures as Hive Gateway reports them: the subgraph could not be reached, or did not answer in time. */
const TRANSPORT_FAILURES = new Set(['SUBREQUEST_HTTP_ERROR', 'DOWNSTREAM_SERVICE_ERROR', 'GATEWAY_TIMEOUT']);

/**
 * Every error of every answer says what the Apollo runtime says: the
 * project's codes; a subgraph that could not be reached is
 * SUBGRAPH_UNAVAILABLE with its name; never the subgraph request it sent;
 * in production no "Did you mean …?" (it would reveal the schema).
 */
function projectErrors(metrics: GatewayMetrics, production: boolean): GatewayPlugin<HiveContext> {
  const asProjectError = (error: GraphQLError): GraphQLError => {
    // `http` (the answer's status) is Yoga's, which leaves it out of the answer; what was sent to a subgraph is nobody's business.
    const { request: _request, response: _response, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
    const serviceName = (extensions.serviceName ?? extensions.subgraphName) as string | undefined;
    const code = extensions.code as string | undefined;
    if (serviceName && (!code || TRANSPORT_FAILURES.has(code))) {
      metrics.subgraphErrors.inc({ subgraph: serviceName, kind: code === 'GATEWAY_TIMEOUT' ? 'timeout' : 'unavailable' });
      return new GraphQLError(`${serviceName} 暂时无法访问 / ${serviceName} is unavailable: ${error.message}`, {
        path: error.path,
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName },
      });
    }
    // As Apollo Server: a request the schema refuses (its variables) is the caller's; anything else without a code is ours.
    if (!code) extensions.code = error.path ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT';
    const message = production ? error.message.replace(/ ?Did you mean(.+?)\?$/, '') : error.message;
    const formatted = formatError({ message, locations: error.locations, path: error.path, extensions }, error);
    return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
  };
  const processed = (result: ExecutionResult): ExecutionResult =>
    result.errors?.length ? { ...result, errors: result.errors.map((e) => asProjectError(asGraphQLError(e))) } : result;
  return {
    onResultProcess: ({ result, setResult }) => {
      if (Array.isArray(result)) setResult(result.map(processed));
      else if (!(Symbol.asyncIterator in result)) setResult(processed(result));
    },
  };
}
