import { createHash } from 'node:crypto';
import { uniformFor, weightedDraw, type Candidate } from '../../subgraphs/supervision/draw';

describe('the random draw (双随机)', () => {
  const population: Candidate[] = Array.from({ length: 40 }, (_, i) => ({ id: `permit-${String(i).padStart(2, '0')}`, weight: i % 4 === 0 ? 4 : 1 }));

  it('gives the same result from the same seed, whatever the order of the candidates', () => {
    const first = weightedDraw(population, 8, '2026-Q4:restaurant:7f3a');
    expect(first).toHaveLength(8);
    expect(new Set(first).size).toBe(8);
    expect(weightedDraw([...population].reverse(), 8, '2026-Q4:restaurant:7f3a')).toEqual(first);
    expect(weightedDraw(population, 8, '2026-Q4:restaurant:7f3b')).not.toEqual(first);
  });

  it('is the published rule, recomputed here without the code', () => {
    // u = (first 13 hex digits of SHA-256("<seed>:<id>") + 1) / (16^13 + 1); key = ln(u) / weight; largest keys first.
    const seed = 'audit-seed';
    const u = (id: string) => (parseInt(createHash('sha256').update(`${seed}:${id}`).digest('hex').slice(0, 13), 16) + 1) / (16 ** 13 + 1);
    const byHand = population
      .map((c) => ({ id: c.id, key: Math.log(u(c.id)) / c.weight }))
      .sort((a, b) => b.key - a.key)
      .slice(0, 5)
      .map((c) => c.id);
    expect(weightedDraw(population, 5, seed)).toEqual(byHand);
    for (const c of population) expect(uniformFor(seed, c.id)).toBe(u(c.id));
  });

  it('draws a heavier candidate more often, in proportion', () => {
    // Two candidates, one drawn: the heavier (weight 3) should win about 3 times in 4.
    let heavy = 0;
    const seeds = 4000;
    for (let i = 0; i < seeds; i++) if (weightedDraw([{ id: 'light', weight: 1 }, { id: 'heavy', weight: 3 }], 1, `s${i}`)[0] === 'heavy') heavy++;
    expect(heavy / seeds).toBeGreaterThan(0.72);
    expect(heavy / seeds).toBeLessThan(0.78);
  });

  it('draws everyone when the sample is as large as the population, nobody for zero; refuses a bad population', () => {
    expect(weightedDraw(population, 100, 'x').sort()).toEqual(population.map((c) => c.id).sort());
    expect(weightedDraw(population, 0, 'x')).toEqual([]);
    expect(() => weightedDraw([{ id: 'a', weight: 1 }, { id: 'a', weight: 2 }], 1, 'x')).toThrow('each candidate once');
    expect(() => weightedDraw([{ id: 'a', weight: 0 }], 1, 'x')).toThrow('weights must be positive');
  });
});
