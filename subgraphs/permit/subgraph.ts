import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { runSubgraph, type SubgraphContext, type SubgraphDefinition } from '../../shared/subgraph-server';
import { permitEventHandlers } from './events';
import { licenceStubsSdl } from './licence-stubs';
import { permitResolvers } from './resolvers';
import { PermitStore } from './store';

/** 综合许可凭证: issue, void on a licence's ending, QR codes. */
export function permitSubgraph(): SubgraphDefinition {
  return {
    name: 'permit',
    typeDefs: `${readFileSync(join(__dirname, 'schema.graphql'), 'utf8')}\n${licenceStubsSdl()}\n`,
    resolvers: permitResolvers() as unknown as GraphQLResolverMap<SubgraphContext>,
    prepare: (db) => new PermitStore(db).prepare(),
    eventHandlers: (db, log) => permitEventHandlers(db, log),
  };
}

if (require.main === module) runSubgraph(permitSubgraph(), 4002);
