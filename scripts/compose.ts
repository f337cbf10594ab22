import '../shared/no-telemetry';
import { composeServices } from '@apollo/composition';
import { parse, type GraphQLSchema } from 'graphql';
import { services } from '../shared/registry';
import { subgraphDefinitions } from '../subgraphs';

/**
 * Composes every subgraph's SDL into the static supergraph the gateway loads.
 * `npm run generate` (scripts/generate.ts) writes it to schema/; the generated-files test fails when it is stale.
 */
export function composeSupergraph(): { supergraphSdl: string; apiSchema: GraphQLSchema; subgraphs: { name: string; sdl: string }[] } {
  const ports = new Map(services().map((s) => [s.name, s.port]));
  const subgraphs = subgraphDefinitions().map((d) => ({ name: d.name, sdl: d.typeDefs }));
  const result = composeServices(
    subgraphs.map((s) => ({ name: s.name, typeDefs: parse(s.sdl), url: `http://127.0.0.1:${ports.get(s.name)}/graphql` })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => e.message).join('\n')}`);
  }
  return { supergraphSdl: result.supergraphSdl, apiSchema: result.schema.toAPISchema().toGraphQLJSSchema(), subgraphs };
}
