import '../../shared/no-telemetry';
import '../../shared/tracing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSubgraph, type SubgraphDefinition } from '../../shared/subgraph-server';
import { checkPointProblems } from './checklist';
import { supervisionResolvers } from './resolvers';
import { NotesStore } from './notes';
import { PermitRegister } from './register';
import { PlanStore } from './plans';
import { InspectionStore } from './inspections';
import { BusinessHistory } from './history';

/** 事中事后监管 ("6+4"): the one checklist per industry and per business, merged from the departments' check points; the supervision notes of each industry's compliance manual; the register of permit holders, from the permit service's events; joint-inspection plans and inspections, complaints, risk grades and the analysts' figures. */
export function supervisionSubgraph(): SubgraphDefinition {
  return {
    name: 'supervision',
    typeDefs: readFileSync(join(__dirname, 'schema.graphql'), 'utf8'),
    resolvers: supervisionResolvers(),
    indexes: [...NotesStore.indexes, ...PermitRegister.indexes, ...PlanStore.indexes, ...InspectionStore.indexes, ...BusinessHistory.indexes],
    eventHandlers: (db) => new PermitRegister(db).handlers(),
    prepare: async () => {
      // A department's points that do not fit its items stop the service at start, not an inspection later.
      const problems = checkPointProblems();
      if (problems.length) throw new Error(`check points:\n${problems.join('\n')}`);
    },
  };
}

if (require.main === module) runSubgraph(supervisionSubgraph(), 4003);
