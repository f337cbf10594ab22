import { runDepartmentSubgraph } from '../../shared/department/subgraph';

// The generic department subgraph, configured by this folder's department.json, items.json and schema.graphql.
if (require.main === module) runDepartmentSubgraph(__dirname);
