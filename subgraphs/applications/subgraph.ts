import '../../shared/no-telemetry';
import '../../shared/tracing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLJSON } from '../../shared/scalars';
import { CLOCK_SDL } from '../../shared/clock';
import { runSubgraph, type SubgraphDefinition } from '../../shared/subgraph-server';
import { loadCatalogue } from './catalogue';
import { applicationEventHandlers } from './events';
import { applicationResolvers, visibleApplication } from './resolvers/applications';
import { catalogueFor, catalogueResolvers, industryView } from './resolvers/catalogue';
import { EditionStore, editionsFor } from './editions';
import { NOTIFIER, sendNotification } from './notifications';
import { checkCityMatters, CITY_PLATFORM, cityIntakeRoutes, sendCityCallback } from './city-intake';
import { ApplicationStore } from './store';
import { programmeResolvers } from './resolvers/programme';
import { RolloutBoard } from './rollout';
import { Archive } from './archive';
import { WorkTeamStore } from './work-team';
import { applicationsConfig } from './config';
import type { Resolvers } from './__generated__/resolver-types';

/** 区政务服务局: catalogue, guides, merged forms, intake and dispatch; the reform's work team and rollout board. */
export function applicationsSubgraph(): SubgraphDefinition {
  // The repository's catalogue must be consistent before anything starts, and the city's matters map into it.
  checkCityMatters(loadCatalogue());
  const applications = applicationResolvers();
  const catalogue = catalogueResolvers();
  const programme = programmeResolvers();
  const resolvers: Resolvers = {
    JSON: GraphQLJSON,
    // Each set's own types (FaceChange, …), then the root types both add to.
    ...catalogue,
    ...applications,
    Query: { ...catalogue.Query, ...applications.Query, ...programme.Query },
    Mutation: { ...catalogue.Mutation, ...applications.Mutation, ...programme.Mutation },
    Industry: {
      ...programme.Industry,
      __resolveReference: async (ref, ctx) => {
        const current = await catalogueFor(ctx);
        const industry = current.industry(ref.code);
        return industry ? industryView(industry, current) : null;
      },
    },
    Application: {
      __resolveReference: (ref, ctx) => visibleApplication(ctx, ref.id),
    },
  };
  return {
    name: 'applications',
    // The clock type is shared with the departments and must read the same in both.
    typeDefs: `${readFileSync(join(__dirname, 'schema.graphql'), 'utf8')}\n${readFileSync(join(__dirname, 'programme.graphql'), 'utf8')}\n${CLOCK_SDL}`,
    config: applicationsConfig,
    resolvers,
    outboxSources: (db) => new ApplicationStore(db).outboxSources(),
    externalDeliveries: { [NOTIFIER]: sendNotification, [CITY_PLATFORM]: sendCityCallback },
    routes: cityIntakeRoutes,
    indexes: [...ApplicationStore.indexes, ...EditionStore.indexes, ...RolloutBoard.indexes, ...WorkTeamStore.indexes, ...Archive.indexes],
    prepare: async (db) => {
      await editionsFor(db).prepare();
      await new RolloutBoard(db).seed();
      // Files whose sealing a crash interrupted are sealed now.
      const store = new ApplicationStore(db);
      await new Archive(db.db!).completeClaims((id) => store.load(id));
    },
    eventHandlers: (db, log) => applicationEventHandlers(db, log),
  };
}

if (require.main === module) runSubgraph(applicationsSubgraph(), 4001);
