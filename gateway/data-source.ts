import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent, Headers, request, Response, type Dispatcher } from 'undici';
import { z } from 'zod';
import { millis, parseConfig } from '../shared/config';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity, type Identity } from '../shared/identity';
import { gatewayConfig } from './config';
import type { GatewayMetrics } from './metrics';

export interface GatewayContext {
  identity: Identity;
}

const timeouts = new Map<string, number>();

/** Per-subgraph timeout: SUBGRAPH_TIMEOUT_MS_<NAME> (dashes as underscores), else SUBGRAPH_TIMEOUT_MS (5 s); read once per subgraph. */
export function subgraphTimeoutMs(name: string): number {
  let timeout = timeouts.get(name);
  if (timeout === undefined) {
    const variable = `SUBGRAPH_TIMEOUT_MS_${name.toUpperCase().replace(/-/g, '_')}`;
    timeout = parseConfig('gateway', z.object({ [variable]: millis(gatewayConfig().SUBGRAPH_TIMEOUT_MS) }), process.env)[variable] as number;
    timeouts.set(name, timeout);
  }
  return timeout;
}

/** The gateway's connections to subgraphs, for either runtime: pooled, at most SUBGRAPH_MAX_SOCKETS per subgraph. */
export function subgraphAgent(timeoutMs = gatewayConfig().SUBGRAPH_TIMEOUT_MS): Agent {
  return new Agent({ connections: gatewayConfig().SUBGRAPH_MAX_SOCKETS, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
}

/** The part of a fetch request the runtimes send a subgraph. */
interface SubgraphRequestInit {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string | Uint8Array | null;
  signal?: AbortSignal | null;
}

/**
 * `fetch` for subgraph requests, on undici's `request` through the pooled
 * agent: the body is written in one go and the answer read whole (a GraphQL
 * answer is one JSON document). undici's own `fetch` streams even a string body
 * through an async iterator, a socket write per chunk: side by side, the
 * gateway spent 20–50% more CPU per scan with it (README, "Gateway runtimes").
 */
export function subgraphFetch(agent: Agent): (url: string, init?: SubgraphRequestInit) => Promise<Response> {
  return async (url, init = {}) => {
    const answer = await request(url, {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: Object.fromEntries(new Headers(init.headers)),
      body: init.body ?? undefined,
      signal: init.signal ?? undefined,
      dispatcher: agent,
    });
    const body = new Uint8Array(await answer.body.arrayBuffer());
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const one of [value ?? []].flat()) headers.append(name, one);
    }
    return new Response(answer.statusCode === 204 || answer.statusCode === 304 ? null : body, { status: answer.statusCode, headers });
  };
}

/**
 * Sends each subgraph request with the caller's verified identity, signed by
 * the gateway, through a pooled agent with a socket limit and a timeout (the
 * gateway's default fetcher has neither).
 */
export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly serviceName: string;

  constructor(options: { name: string; url: string; metrics?: GatewayMetrics }) {
    const timeout = subgraphTimeoutMs(options.name);
    const send = subgraphFetch(subgraphAgent(timeout));
    const failed = (kind: 'timeout' | 'unavailable' | 'status') => options.metrics?.subgraphErrors.inc({ subgraph: options.name, kind });
    const fetcher = async (url: string, init: SubgraphRequestInit) => {
      try {
        const response = await send(url, { ...init, signal: AbortSignal.timeout(timeout) });
        if (response.status >= 500) failed('status');
        return response;
      } catch (error) {
        const { name, code, cause } = error as Error & { code?: string; cause?: { code?: string } };
        failed(/timeout/i.test(`${name} ${code ?? ''} ${cause?.code ?? ''}`) ? 'timeout' : 'unavailable');
        // Name the service, so a client (and the scan page) can say which department is unavailable.
        throw new GraphQLError(`${options.name} 暂时无法访问 / ${options.name} is unavailable: ${(error as Error).message}`, {
          extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: options.name },
        });
      }
    };
    super({ url: options.url, fetcher: fetcher as never });
    this.serviceName = options.name;
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const identity = (context as Partial<GatewayContext>)?.identity ?? PUBLIC_IDENTITY;
    // Signed for this subgraph only: replayed to another, it is refused.
    request.http?.headers.set(IDENTITY_HEADER, await signIdentity(identity, this.serviceName, gatewayConfig().GATEWAY_IDENTITY_KEYS[0]));
  }
}
