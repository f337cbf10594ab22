import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { REPO_ROOT } from '../../shared/registry';
import { eventually, graphql } from '../support/client';
import { freePort } from '../support/launcher';
import { ONE_ITEM, publishTestIndustries, readyApplication } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { metricValue } from '../support/metrics';

/**
 * Traces, metrics and logs that fit together: the platform runs with an
 * OpenTelemetry exporter pointed at a collector (a real HTTP server taking
 * OTLP/JSON, as a collector would); one request carrying a W3C traceparent is
 * followed through the gateway, the applications subgraph, its database
 * commands, its event relay and the department that receives the event, and
 * its trace id is in their log lines. The gateway's /metrics counts
 * operations, refusals and failed subgraph requests.
 */
interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** An OTLP/HTTP (JSON) trace collector. */
async function startCollector(): Promise<{ url: string; spans: Span[]; close: () => Promise<void> }> {
  const spans: Span[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Omit<Span, 'service'>[] }[] }[] };
        for (const resourceSpans of payload.resourceSpans) {
          const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId, name: span.name });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}


describe('observability', () => {
  let t: TestPlatform;
  let collector: Awaited<ReturnType<typeof startCollector>>;

  beforeAll(async () => {
    collector = await startCollector();
    t = await startTestPlatform({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100' });
    await publishTestIndustries(t.walk);
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
    await collector?.close();
  });

  it('follows one request from the gateway through a subgraph, its database, its event relay and the receiving department, as one trace', async () => {
    const { id } = await readyApplication(t.walk, ONE_ITEM.code);
    const traceId = randomBytes(16).toString('hex');
    const accepted = await graphql<{ acceptApplication: { status: string } }>(t.graphqlUrl, 'mutation Accept($id: ID!) { acceptApplication(id: $id) { status } }', { id }, await t.token(t.walk.clerk()), {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    expect(accepted.errors).toBeUndefined();
    const trace = await eventually('the trace to reach the receiving department', async () => {
      const spans = collector.spans.filter((s) => s.traceId === traceId);
      return spans.some((s) => s.service === 'market-regulation') ? spans : undefined;
    }, 20_000);
    const services = new Set(trace.map((s) => s.service));
    expect([...services].sort()).toEqual(expect.arrayContaining(['applications', 'gateway', 'market-regulation']));
    // The gateway's own planning and fetches, the database commands, the event delivery.
    expect(trace.some((s) => s.service === 'gateway' && /fetch|plan|execute/i.test(s.name))).toBe(true);
    expect(trace.some((s) => s.service === 'applications' && /^insert application_steps$/.test(s.name))).toBe(true);
    expect(trace.some((s) => s.service === 'market-regulation' && /^insert reviews$/.test(s.name))).toBe(true);
    expect(trace.some((s) => s.service === 'market-regulation' && /POST/.test(s.name))).toBe(true);
    // One tree: every span's parent is in the trace, but for the root the caller named.
    const ids = new Set(trace.map((s) => s.spanId));
    const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots.length).toBe(1);
    expect(roots[0].service).toBe('gateway');

    // The same trace id in the log lines each service wrote for it.
    const logged = (service: string) =>
      readFileSync(join(t.platform.options.logDir, `${service}.log`), 'utf8')
        .split('\n')
        .filter((line) => line.includes(traceId))
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(logged('applications')).toEqual(expect.arrayContaining(['application accepted and dispatched', 'event delivered']));
    await eventually('the receiver\'s log line', async () => (logged('market-regulation').includes('event applied') ? true : undefined), 10_000);
  });

  it('counts operations by name and outcome, refusals by code, and failed subgraph requests by subgraph and kind', async () => {
    const metrics = async () => (await (await request(`${t.gatewayUrl}/metrics`)).body.text());
    const before = await metrics();
    for (let i = 0; i < 3; i++) expect((await graphql(t.graphqlUrl, 'query Industries { industries { code } }')).errors).toBeUndefined();
    expect((await graphql(t.graphqlUrl, 'query Industries { industries { code } }', {}, 'not-a-token')).status).toBe(401);
    const deep = `query Deep { scanPermit(code: "X") { ${'currentVersion { '.repeat(8)}code${' }'.repeat(8)} } }`;
    expect((await graphql(t.graphqlUrl, deep)).status).toBe(400);
    await t.platform.stopService('water', 'SIGKILL');
    try {
      const down = await graphql(t.graphqlUrl, 'query Water { water { licence(id: "WA-1") { status } } }');
      expect(down.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
    } finally {
      await t.platform.startService('water');
    }
    const after = await metrics();
    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('yiye_gateway_requests_total', { operation: 'Industries', outcome: 'ok' })).toBe(3);
    expect(delta('yiye_gateway_requests_total', { operation: 'Industries', outcome: 'refused' })).toBe(1);
    expect(delta('yiye_gateway_refusals_total', { code: 'UNAUTHENTICATED' })).toBe(1);
    expect(delta('yiye_gateway_refusals_total', { code: 'QUERY_TOO_COMPLEX', role: 'PUBLIC' })).toBe(1);
    expect(delta('yiye_gateway_requests_total', { operation: 'Water', outcome: 'error' })).toBe(1);
    expect(delta('yiye_gateway_subgraph_errors_total', { subgraph: 'water', kind: 'unavailable' })).toBeGreaterThanOrEqual(1);
    expect(delta('yiye_gateway_request_duration_seconds_count', { operation: 'Industries' })).toBe(3);
    // The process's own figures, for the memory a bench or an operator watches.
    expect(metricValue(after, 'yiye_process_resident_memory_bytes', { service: 'gateway' })).toBeGreaterThan(10_000_000);
  });

  it('off, loads nothing of the tracing SDK', () => {
    const loaded = (env: Record<string, string>) => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', "require('./shared/tracing'); console.log(Object.keys(require.cache).filter((k) => k.includes('@opentelemetry/sdk-trace')).length)"], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH!, ...env },
      });
      expect(run.stderr).toBe('');
      return Number(run.stdout.trim());
    };
    expect(loaded({})).toBe(0);
    expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toBeGreaterThan(0);
  });
});
