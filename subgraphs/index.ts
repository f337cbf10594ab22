import { departments } from '../shared/registry';
import { departmentSubgraph } from '../shared/department/subgraph';
import type { SubgraphDefinition } from '../shared/subgraph-server';
import { applicationsSubgraph } from './applications/subgraph';
import { permitSubgraph } from './permit/subgraph';
import { supervisionSubgraph } from './supervision/subgraph';

/** Every subgraph of the platform, in composition order. */
export function subgraphDefinitions(): SubgraphDefinition[] {
  return [applicationsSubgraph(), permitSubgraph(), supervisionSubgraph(), ...departments().map((d) => departmentSubgraph(d.folder))];
}
