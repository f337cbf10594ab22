import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Histogram, type Registry } from 'prom-client';
import { serviceMetrics } from '../shared/metrics';
import type { GatewayContext } from './data-source';

/**
 * The gateway's Prometheus metrics (`GET /metrics`, prom-client), beside the
 * process's own (memory, CPU, event-loop lag): every operation by name and
 * outcome with its latency, every failed subgraph request by subgraph and
 * kind, and every refusal by its code. docs/operations.md lists them.
 */
export class GatewayMetrics {
  readonly registry: Registry = serviceMetrics('gateway');

  readonly requests = new Counter({
    name: 'yiye_gateway_requests_total',
    help: 'GraphQL operations, by operation name and outcome: ok, error (answered with errors), refused (token or limits)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'yiye_gateway_request_duration_seconds',
    help: 'Time from receiving an operation to sending its answer, by operation name',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly subgraphErrors = new Counter({
    name: 'yiye_gateway_subgraph_errors_total',
    help: 'Subgraph requests that failed, by subgraph and kind: timeout, unavailable (no connection), status (an HTTP error answer)',
    labelNames: ['subgraph', 'kind'] as const,
    registers: [this.registry],
  });

  readonly refusals = new Counter({
    name: 'yiye_gateway_refusals_total',
    help: 'Operations refused before planning, by code (UNAUTHENTICATED, QUERY_TOO_COMPLEX, QUERY_TOO_COSTLY, …) and role',
    labelNames: ['code', 'role'] as const,
    registers: [this.registry],
  });

  /** Operation names are the client's: a bounded set of plain names, the rest counted together. */
  private readonly names = new Set<string>();

  /** The name of a request's operation, before it is parsed: the one given, or the first one the query text names. */
  operationOf(body: { operationName?: unknown; query?: unknown } | undefined): string {
    const named = typeof body?.query === 'string' ? /^\s*(?:query|mutation|subscription)\s+([A-Za-z_]\w*)/.exec(body.query)?.[1] : undefined;
    return this.operation(body?.operationName ?? named);
  }

  operation(name: unknown): string {
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return name ? 'other' : 'anonymous';
    if (this.names.has(name)) return name;
    if (this.names.size >= MAX_OPERATION_NAMES) return 'other';
    this.names.add(name);
    return name;
  }

  /** Counts each operation Apollo Server executes, and how long it took. */
  plugin(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: async ({ request }) => {
        const started = process.hrtime.bigint();
        return {
          willSendResponse: async ({ response, operationName }) => {
            const operation = this.operation(operationName ?? request.operationName);
            const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
            this.requests.inc({ operation, outcome: errors?.length ? 'error' : 'ok' });
            this.duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
          },
        };
      },
    };
  }
}

const MAX_OPERATION_NAMES = 200;
