import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph } from '../scripts/compose';
import { REPO_ROOT } from '../shared/registry';

describe('composition', () => {
  const composed = composeSupergraph();

  it('the checked-in supergraph is what the subgraphs compose to (run `npm run compose` if this fails)', () => {
    const checkedIn = readFileSync(join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8');
    expect(composed.supergraphSdl).toBe(checkedIn);
  });

  it('each checked-in subgraph SDL is current', () => {
    for (const subgraph of composed.subgraphs) {
      expect(readFileSync(join(REPO_ROOT, 'schema', `${subgraph.name}.graphql`), 'utf8')).toBe(subgraph.sdl);
    }
  });

  it('includes every department as its own subgraph', () => {
    expect(composed.subgraphs.map((s) => s.name)).toEqual(
      expect.arrayContaining(['applications', 'permit', 'market-regulation', 'fire-rescue', 'health', 'culture-tourism', 'public-security']),
    );
  });

  it('describes every type and field a front-end sees', () => {
    const api = composed.apiSchema;
    const missing: string[] = [];
    for (const type of Object.values(api.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      const isRoot = ['Query', 'Mutation'].includes(type.name);
      if (!isRoot && !type.description) missing.push(type.name);
      if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
