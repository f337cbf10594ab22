import '../no-telemetry';
import '../tracing';
import { resolve } from 'node:path';
import { runDepartmentSubgraph } from './subgraph';

/**
 * Every department's entry point: `node --import tsx shared/department/main.ts
 * subgraphs/<code>`. The folder (department.json, items.json, schema.graphql) is
 * the whole department; the code is this one generic subgraph.
 */
const folder = process.argv[2];
if (!folder) {
  console.error('usage: shared/department/main.ts <department folder, e.g. subgraphs/water>');
  process.exit(1);
}
runDepartmentSubgraph(resolve(folder));
