import http from 'node:http';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { auditServer, type AuditResult } from 'graphql-http';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * GraphQL over HTTP: `graphql-http`'s audit against the gateway, beside the same
 * audit against a stock Apollo Server (same version, same Express 5
 * integration) in the same run. The gateway must pass every audit the stock
 * server passes; what neither passes is listed in docs/security.md.
 */
describe('GraphQL over HTTP (graphql-http audit)', () => {
  let t: TestPlatform;
  let stock: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    t = await startTestPlatform();
    const server = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });
    await server.start();
    const app = express();
    app.use('/graphql', express.json(), expressMiddleware(server));
    const httpServer = http.createServer(app);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const port = (httpServer.address() as { port: number }).port;
    stock = { url: `http://127.0.0.1:${port}/graphql`, close: async () => { await server.stop(); httpServer.close(); } };
  });
  afterAll(async () => {
    await stock?.close();
    await t?.stop();
  });

  it('passes every audit a stock Apollo Server passes', async () => {
    const summary = (results: AuditResult[]) => ({ ok: results.filter((r) => r.status === 'ok').map((r) => r.id), notOk: results.filter((r) => r.status !== 'ok').map((r) => `${r.status} ${r.name}`) });
    const baseline = summary(await auditServer({ url: stock.url, fetchFn: fetch }));
    const gateway = summary(await auditServer({ url: t.graphqlUrl, fetchFn: fetch }));
    console.log(`graphql-http audit: stock Apollo Server ${baseline.ok.length} ok of ${baseline.ok.length + baseline.notOk.length}; gateway ${gateway.ok.length} ok\n  gateway not ok:\n    ${gateway.notOk.join('\n    ')}`);
    expect(baseline.ok.filter((id) => !gateway.ok.includes(id))).toEqual([]);
    expect(gateway.ok.length).toBeGreaterThanOrEqual(baseline.ok.length);
  });
});
