import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { loadDepartment } from '../registry';
import { runSubgraph, type SubgraphContext, type SubgraphDefinition } from '../subgraph-server';
import { departmentTypeDefs } from './schema';
import { createDepartmentLoaders, departmentResolvers } from './resolvers';
import { DepartmentStore } from './store';
import { approveOnCommitment, workflowHandlers } from './workflow';

/** Everything a department subgraph is, built from its folder (department.json, items.json, schema.graphql). */
export function departmentSubgraph(folder: string): SubgraphDefinition {
  const department = loadDepartment(folder);
  return {
    name: department.code,
    typeDefs: departmentTypeDefs(department),
    resolvers: departmentResolvers(department) as unknown as GraphQLResolverMap<SubgraphContext>,
    outboxCollections: ['decisions', 'licence_endings', 'correction_requests'],
    createLoaders: (db) => createDepartmentLoaders(db, department),
    prepare: (db) => new DepartmentStore(db, department).prepare(),
    beforeSweep: (db) => new DepartmentStore(db, department).repair(),
    eventHandlers: (db, log, kick) => ({
      ItemDispatched: async (event) => {
        const p = event.payload as {
          applicationId: string;
          applicationNumber: string;
          itemCode: string;
          holder: { companyName: string; creditCode: string };
          values: Record<string, unknown>;
          dispatchedAt: string;
          round?: number;
          commitment?: boolean;
        };
        await new DepartmentStore(db, department).receiveDispatch({
          _id: `${p.applicationId}:${p.itemCode}`,
          applicationId: p.applicationId,
          applicationNumber: p.applicationNumber,
          itemCode: p.itemCode,
          holder: p.holder,
          values: p.values,
          round: p.round ?? 1,
          receivedAt: new Date(p.dispatchedAt),
          commitment: Boolean(p.commitment),
        });
        if (p.commitment) {
          await approveOnCommitment(db, department, `${p.applicationId}:${p.itemCode}`, log);
          kick();
        }
      },
      ...workflowHandlers(db, department, log),
      /** A face change (name, legal representative, address) applied to this department's licences of the application. */
      LicenceFaceChanged: async (event) => {
        const p = event.payload as {
          applicationId: string;
          changeId: string;
          holder: { companyName?: string; legalRepresentative?: string; businessAddress?: string };
          requestedBy: { role: string; subject: string };
          reason: string;
        };
        await new DepartmentStore(db, department).applyFaceChange(p.applicationId, p.changeId, p.holder, p.requestedBy, p.reason);
      },
    }),
  };
}

export function runDepartmentSubgraph(folder: string): void {
  const definition = departmentSubgraph(folder);
  runSubgraph(definition, loadDepartment(folder).port);
}
