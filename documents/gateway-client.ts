import { request } from 'undici';
import { documentsConfig } from './config';

/**
 * The documents service asks the gateway like any client: GraphQL over HTTP,
 * with the caller's own `Authorization` header passed on unchanged (the gateway
 * authenticates it; the subgraphs decide what the caller may see).
 */
export interface GraphQLAnswer<T> {
  /** The HTTP status: 401 when the gateway refused the caller's token. */
  status: number;
  data: T | null;
  errors: { message: string; extensions?: Record<string, unknown> }[];
}

export async function askGateway<T>(query: string, variables: Record<string, unknown>, authorization?: string): Promise<GraphQLAnswer<T>> {
  const { GATEWAY_URL, GATEWAY_TIMEOUT_MS } = documentsConfig();
  try {
    const response = await request(`${GATEWAY_URL.replace(/\/$/, '')}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query, variables }),
      headersTimeout: GATEWAY_TIMEOUT_MS,
      bodyTimeout: GATEWAY_TIMEOUT_MS,
    });
    const body = (await response.body.json().catch(() => ({}))) as { data?: T | null; errors?: GraphQLAnswer<T>['errors'] };
    return { status: response.statusCode, data: body.data ?? null, errors: body.errors ?? [] };
  } catch (error) {
    // The gateway itself did not answer: said as a subgraph outage would be, so pages say "unavailable".
    return { status: 503, data: null, errors: [{ message: String(error), extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'gateway' } }] };
  }
}

/** True when the permit service (or the gateway before it) did not answer: "no such permit" would be a lie then. */
export function permitServiceDown(answer: GraphQLAnswer<unknown>, found: boolean): boolean {
  return !found && answer.errors.some((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE' || e.extensions?.serviceName === 'permit' || e.extensions?.serviceName === 'gateway');
}
