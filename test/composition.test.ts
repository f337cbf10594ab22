import { composeSupergraph } from '../scripts/compose';

describe('composition', () => {
  const composed = composeSupergraph();

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
