import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A service's Prometheus registry (prom-client): every metric carries the
 * service's name, and the process's own figures (resident memory, CPU, heap,
 * event-loop lag) are read at each scrape, so metrics cost nothing between scrapes.
 */
export function serviceMetrics(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'yiye_' });
  return registry;
}
