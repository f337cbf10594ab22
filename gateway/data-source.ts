import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent, fetch as undiciFetch } from 'undici';
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

/**
 * Sends each subgraph request with the caller's verified identity, signed by
 * the gateway, through a pooled agent with a socket limit and a timeout (the
 * gateway's default fetcher has neither).
 */
export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly serviceName: string;

  constructor(options: { name: string; url: string; metrics?: GatewayMetrics }) {
    const timeout = subgraphTimeoutMs(options.name);
    const agent = subgraphAgent(timeout);
    const failed = (kind: 'timeout' | 'unavailable' | 'status') => options.metrics?.subgraphErrors.inc({ subgraph: options.name, kind });
    const fetcher = async (url: string, init: Record<string, unknown>) => {
      try {
        const response = await undiciFetch(url, { ...init, dispatcher: agent, signal: AbortSignal.timeout(timeout) } as Parameters<typeof undiciFetch>[1]);
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
