import '../../shared/no-telemetry';
import '../../shared/tracing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSubgraph, type SubgraphDefinition } from '../../shared/subgraph-server';
import { GraphQLJSON } from '../../shared/scalars';
import { permitEventHandlers } from './events';
import { pushToCityLibrary } from './library';
import { CITY_LIBRARY } from './lifecycle';
import { licenceStubsSdl } from './licence-stubs';
import { permitResolvers } from './resolvers';
import { PermitStore } from './store';
import { permitConfig } from './config';

/** 综合许可凭证: issue, re-issue, void, recall; signed QR codes; pushes to the city e-licence library. */
export function permitSubgraph(): SubgraphDefinition {
  return {
    name: 'permit',
    config: permitConfig,
    typeDefs: `${readFileSync(join(__dirname, 'schema.graphql'), 'utf8')}\n${licenceStubsSdl()}\n`,
    resolvers: { JSON: GraphQLJSON, ...permitResolvers() },
    indexes: PermitStore.indexes,
    eventHandlers: (db, log) => permitEventHandlers(db, log),
    outboxSources: (db) => new PermitStore(db).outboxSources(),
    externalDeliveries: { [CITY_LIBRARY]: pushToCityLibrary },
  };
}

if (require.main === module) runSubgraph(permitSubgraph(), 4002);
