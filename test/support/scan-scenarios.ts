import type { Walkthrough } from './walkthrough';
import { sampleBusiness } from './sample-values';

/**
 * Permits with 2, 5 and 8 licences for measuring scans, built through the
 * gateway like any other: test industries are published into the catalogue,
 * then a business goes the whole path. Most licences come from one department
 * (market regulation), so a scan that queried per licence would show it.
 */
export const SCAN_SCENARIOS: Record<string, { itemCode: string; department: string }[]> = {
  'scan-2': [
    { itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' },
    { itemCode: 'FR-FIRE-CHECK', department: 'fire-rescue' },
  ],
  'scan-5': [
    { itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' },
    { itemCode: 'MR-DRUG-RETAIL', department: 'market-regulation' },
    { itemCode: 'MR-MEDICAL-DEVICE-III', department: 'market-regulation' },
    { itemCode: 'MR-MEDICAL-DEVICE-II', department: 'market-regulation' },
    { itemCode: 'FR-FIRE-CHECK', department: 'fire-rescue' },
  ],
  'scan-8': [
    { itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' },
    { itemCode: 'MR-DRUG-RETAIL', department: 'market-regulation' },
    { itemCode: 'MR-MEDICAL-DEVICE-III', department: 'market-regulation' },
    { itemCode: 'MR-MEDICAL-DEVICE-II', department: 'market-regulation' },
    { itemCode: 'MR-SPECIAL-EQUIPMENT-USE', department: 'market-regulation' },
    { itemCode: 'MR-FOOD-PRODUCTION', department: 'market-regulation' },
    { itemCode: 'FR-FIRE-CHECK', department: 'fire-rescue' },
    { itemCode: 'HE-PUBLIC-HYGIENE', department: 'health' },
  ],
};

/** Publishes the scenario industries and issues one permit for each: name → permit code. */
export async function buildScanScenarios(walk: Walkthrough): Promise<Record<string, { code: string; licences: number }>> {
  const permits: Record<string, { code: string; licences: number }> = {};
  let seed = 700;
  for (const [code, items] of Object.entries(SCAN_SCENARIOS)) {
    await walk.publishIndustry(code, items);
    const permit = await walk.issuedPermit(code, {}, sampleBusiness(seed++));
    permits[code] = { code: permit.code, licences: items.length };
  }
  return permits;
}
