import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLJSON } from '../../shared/scalars';
import { runSubgraph, type SubgraphContext, type SubgraphDefinition } from '../../shared/subgraph-server';
import { loadCatalogue } from './catalogue';
import { applicationEventHandlers } from './events';
import { applicationResolvers } from './resolvers/applications';
import { catalogueQueries, industryView } from './resolvers/catalogue';
import { ApplicationStore } from './store';

/** 区政务服务局: catalogue, guides, merged forms, intake and dispatch. */
export function applicationsSubgraph(): SubgraphDefinition {
  const catalogue = loadCatalogue();
  const applications = applicationResolvers(catalogue);
  const resolvers = {
    JSON: GraphQLJSON,
    Query: { ...catalogueQueries(catalogue), ...applications.Query },
    Mutation: applications.Mutation,
    Industry: {
      __resolveReference: (ref: { code: string }) => {
        const industry = catalogue.industry(ref.code);
        return industry ? industryView(industry, catalogue) : null;
      },
    },
  };
  return {
    name: 'applications',
    typeDefs: readFileSync(join(__dirname, 'schema.graphql'), 'utf8'),
    resolvers: resolvers as unknown as GraphQLResolverMap<SubgraphContext>,
    outboxCollections: ['acceptances', 'decision_summaries'],
    prepare: (db) => new ApplicationStore(db).prepare(),
    beforeSweep: (db) => new ApplicationStore(db).repair(),
    eventHandlers: (db, log, kick) => applicationEventHandlers(db, catalogue, log, kick),
  };
}

if (require.main === module) runSubgraph(applicationsSubgraph(), 4001);
