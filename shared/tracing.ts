import { tracingConfig } from './config';

/**
 * OpenTelemetry tracing across the gateway, the subgraphs, the event relay
 * and the database driver: on when an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the
 * standard OTEL_* variables tune the exporter and the batching). Off, nothing
 * of OpenTelemetry's SDK is even loaded.
 *
 * Spans: every incoming and outgoing HTTP request (W3C `traceparent`
 * forwarded, so one trace follows a request from the gateway through the
 * subgraphs, and an event from its sender's relay to its receiver), Apollo
 * Gateway's own planning and fetch spans, and every MongoDB command. Each log
 * line written inside a span carries its `trace_id` and `span_id`.
 *
 * Imported first by every entry point, before the libraries it instruments
 * are loaded (ES imports are hoisted: it must be an import, not a statement).
 */
const config = tracingConfig();
if (config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
  // Loaded only when on, so tracing off costs nothing; require keeps this before every other import.
  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { MongoDBInstrumentation } = require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The global provider, async context, and W3C trace context propagation.
  provider.register();
  registerInstrumentations({
    instrumentations: [
      // Health checks and scrapes are not traced: they would drown the requests.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)\b/.test(request.url ?? '') }),
      new UndiciInstrumentation(),
      new MongoDBInstrumentation(),
      new PinoInstrumentation(),
    ],
  });
}
