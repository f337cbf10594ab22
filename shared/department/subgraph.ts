import { loadDepartment } from '../registry';
import { runSubgraph, type SubgraphDefinition } from '../subgraph-server';
import { departmentTypeDefs } from './schema';
import { createDepartmentLoaders, departmentResolvers } from './resolvers';
import { DepartmentStore } from './store';
import { departmentConfig } from './config';
import { departmentEventHandlers } from './workflow';

/** Everything a department subgraph is, built from its folder (department.json, items.json, schema.graphql). */
export function departmentSubgraph(folder: string): SubgraphDefinition {
  const department = loadDepartment(folder);
  return {
    name: department.code,
    config: departmentConfig,
    typeDefs: departmentTypeDefs(department),
    resolvers: departmentResolvers(department),
    outboxSources: (db) => new DepartmentStore(db, department).outboxSources(),
    createLoaders: (db) => createDepartmentLoaders(db, department),
    indexes: DepartmentStore.indexes,
    beforeSweep: (db) => new DepartmentStore(db, department).beforeSweep(),
    eventHandlers: (db, log, kick) => departmentEventHandlers(db, department, log, kick),
  };
}

export function runDepartmentSubgraph(folder: string): void {
  const definition = departmentSubgraph(folder);
  runSubgraph(definition, loadDepartment(folder).port);
}
