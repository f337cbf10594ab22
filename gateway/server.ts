import '../shared/no-telemetry';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { request } from 'undici';
import { keepIdleConnectionsOpen } from '../shared/http-server';
import { publicJwk } from '../shared/keys';
import { gatewayConfig } from './config';
import { createLogger } from '../shared/logger';
import { REPO_ROOT, serviceUrl, services } from '../shared/registry';
import { formatError } from '../shared/errors';
import type { GraphQLSchema } from 'graphql';
import { CallerAuthenticator } from './auth';
import { checkOperation } from './limits';
import { SignedIdentityDataSource, type GatewayContext } from './data-source';
import { GatewayMetrics } from './metrics';
import { hiveRuntime } from './hive';
import { Supergraph } from '@apollo/federation-internals';

/** A GET request's operation, as a body (its variables arrive as JSON text). */
function getBody(query: Record<string, unknown>): Record<string, unknown> {
  let variables: unknown = undefined;
  if (typeof query.variables === 'string') {
    try {
      variables = JSON.parse(query.variables);
    } catch {
      variables = undefined;
    }
  }
  return { query: query.query, operationName: query.operationName, variables };
}

export interface RunningGateway {
  url: string;
  close: () => Promise<void>;
}

/**
 * The gateway routes, and only routes: it authenticates callers, applies their
 * operation limits, plans queries over the static supergraph
 * (schema/supergraph.graphql) and signs the identity it forwards to each
 * subgraph; plus GraphiQL, health checks and its public identity keys. Pages,
 * certificates and QR images are the documents service's (documents/).
 */
export async function startGateway(port: number): Promise<RunningGateway> {
  gatewayConfig();
  const log = createLogger('gateway');
  const authenticator = new CallerAuthenticator();
  const metrics = new GatewayMetrics();
  const supergraphSdl = readFileSync(join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8');
  // The API schema, for checking operations against their limits before they are planned.
  const apiSchema: GraphQLSchema = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
  const production = gatewayConfig().NODE_ENV === 'production';
  const runtime = gatewayConfig().GATEWAY_RUNTIME;

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  keepIdleConnectionsOpen(httpServer);
  // The federation runtime that executes operations, after the token check and the limits below.
  let execute: express.RequestHandler;
  let stopRuntime: () => Promise<void>;
  if (runtime === 'hive') {
    const hive = hiveRuntime(supergraphSdl, metrics);
    execute = (req, res) => void hive(req, res);
    stopRuntime = async () => {
      await hive.dispose();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    };
  } else {
    const gateway = new ApolloGateway({
      supergraphSdl,
      // Placement comes from the registry and SERVICE_URLS, not the URLs baked in at composition.
      buildService: ({ name }) => new SignedIdentityDataSource({ name: name!, url: `${serviceUrl(name!)}/graphql`, metrics }),
    });
    const server = new ApolloServer<GatewayContext>({
      gateway,
      plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), metrics.plugin()],
      formatError,
      includeStacktraceInErrorResponses: false,
      // In production no "Did you mean …?" suggestions: they would reveal the schema to anyone.
      hideSchemaDetailsFromClientErrors: production,
      // Staff may look at the schema (GraphiQL); the anonymous public may not in production (gateway/limits.ts).
      introspection: true,
    });
    await server.start();
    execute = expressMiddleware(server, { context: async ({ res }) => ({ identity: res.locals.identity }) });
    stopRuntime = () => server.stop();
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all(
      services().map(async (s) => {
        try {
          const r = await request(`${serviceUrl(s.name)}/readyz`, { headersTimeout: 2000, bodyTimeout: 2000 });
          await r.body.text();
          return [s.name, r.statusCode === 200 ? 'ready' : `status ${r.statusCode}`] as const;
        } catch (error) {
          return [s.name, `unreachable: ${(error as Error).message}`] as const;
        }
      }),
    );
    const ready = checks.every(([, state]) => state === 'ready');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'degraded', subgraphs: Object.fromEntries(checks) });
  });

  app.get('/', (_req, res) => res.redirect('/graphiql'));
  app.get('/graphiql', (_req, res) => {
    res.type('html').send(
      renderGraphiQL({
        endpoint: '/graphql',
        title: '一业一证 GraphiQL',
        defaultQuery: '# 一业一证 — try: { industries { code nameZh rolloutState } }\n{\n  industries { code nameZh nameEn rolloutState }\n}\n',
      }),
    );
  });

  // The public keys of the identity the gateway forwards, for subgraphs (GATEWAY_IDENTITY_JWKS_URL).
  app.get('/.well-known/identity-keys.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json({ keys: gatewayConfig().GATEWAY_IDENTITY_KEYS.map(publicJwk) });
  });

  app.use(
    '/graphql',
    express.json({ limit: '8mb' }),
    async (req, res, next) => {
      try {
        res.locals.identity = await authenticator.authenticate(req.header('authorization'));
        next();
      } catch (error) {
        log.warn({ err: String(error) }, 'token refused');
        metrics.refusals.inc({ code: 'UNAUTHENTICATED', role: 'unknown' });
        metrics.requests.inc({ operation: metrics.operationOf(req.method === 'GET' ? getBody(req.query as Record<string, unknown>) : req.body), outcome: 'refused' });
        res.status(401).json({
          errors: [{ message: '身份令牌无效或已过期 / Invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } }],
        });
      }
    },
    // The caller's limits, before anything is planned (gateway/limits.ts).
    (req, res, next) => {
      const body = req.method === 'GET' ? getBody(req.query as Record<string, unknown>) : (req.body as Record<string, unknown> | undefined);
      const refused = body && typeof body === 'object' ? checkOperation(apiSchema, body, res.locals.identity, production) : null;
      if (refused) {
        log.warn({ role: res.locals.identity.role, code: refused.errors[0].extensions.code }, 'operation refused by its limits');
        metrics.refusals.inc({ code: String(refused.errors[0].extensions.code), role: res.locals.identity.role });
        metrics.requests.inc({ operation: metrics.operationOf(body), outcome: 'refused' });
        res.status(refused.status).json({ errors: refused.errors });
        return;
      }
      next();
    },
    execute,
  );

  // Every route ends here: a plain answer, never a stack trace or a path on this machine.
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).type('text').send('未找到 / Not found');
  });
  app.use((error: { status?: number; statusCode?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status ?? error.statusCode ?? 500;
    if (status >= 500) log.error({ err: error }, 'request failed');
    res
      .status(status >= 400 && status < 600 ? status : 500)
      .type('text')
      .send(status < 500 ? '请求有误 / Bad request' : '服务器内部错误，请稍后重试 / Internal error; try again shortly');
  });

  await new Promise<void>((resolve) => httpServer.listen(port, gatewayConfig().LISTEN_HOST, resolve));
  log.info({ port, runtime }, 'gateway ready');
  return {
    url: `http://127.0.0.1:${port}`,
    close: stopRuntime,
  };
}
