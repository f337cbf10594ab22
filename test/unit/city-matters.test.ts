import { loadCatalogue, buildCatalogue, repositoryCatalogueData } from '../../subgraphs/applications/catalogue';
import { checkCityMatters, CITY_MATTERS, cityApplicationId } from '../../subgraphs/applications/city-intake';

/** The city's matter codes map onto the catalogue: every industry once, and nothing the catalogue lacks. */
describe('the city platform\'s matter codes', () => {
  it('map each of the catalogue\'s industries exactly once', () => {
    const catalogue = loadCatalogue();
    const mapped = [...CITY_MATTERS.values()];
    expect(new Set(mapped).size).toBe(mapped.length);
    expect(mapped.sort()).toEqual(catalogue.industries.map((i) => i.code).sort());
    expect(() => checkCityMatters(catalogue)).not.toThrow();
  });

  it('refuse to start against a catalogue that lacks a mapped industry', () => {
    const data = repositoryCatalogueData();
    const without = buildCatalogue({ ...data, industries: data.industries.filter((i) => i.code !== 'bookstore') }, 'test');
    expect(() => checkCityMatters(without)).toThrow(/→ bookstore/);
  });

  it('give each reference number its own application id, the same on every repeat', () => {
    expect(cityApplicationId('JT-1')).toBe(cityApplicationId('JT-1'));
    expect(cityApplicationId('JT-1')).not.toBe(cityApplicationId('JT-2'));
    expect(cityApplicationId('JT-1')).toMatch(/^city-[0-9a-f]{32}$/);
  });
});
