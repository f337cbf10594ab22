import { overallStateOfScan } from '../../shared/permit-state';

/**
 * The scan page derives the overall state from the scan's answer with the
 * same rule as the `overallState` field (which test/subgraphs/permit.test.ts
 * and the end-to-end suites check); here, the answer's shapes it reads.
 */
describe('the overall state of a scan answer', () => {
  const item = (permitted: boolean, licence: { status: string | null } | null) => ({ permitted, licence });

  test.each([
    ['every licence valid', 'VALID', [item(true, { status: 'VALID' }), item(true, { status: 'VALID' })], 'VALID'],
    ['an item not permitted has no licence', 'VALID', [item(true, { status: 'VALID' }), item(false, null)], 'VALID_WITH_NOTED_ITEMS'],
    ['a department did not answer: its licence has no state', 'VALID', [item(true, { status: 'VALID' }), item(true, { status: null })], 'PARTLY_UNAVAILABLE'],
    ['a licence revoked before the permit heard of it', 'VALID', [item(true, { status: 'REVOKED' }), item(true, { status: null })], 'VOID'],
    ['the permit voided', 'VOID', [item(true, { status: 'VALID' })], 'VOID'],
    ['a superseded version', 'SUPERSEDED', [item(true, { status: 'VALID' })], 'SUPERSEDED'],
  ])('%s', (_case, status, items, expected) => {
    expect(overallStateOfScan({ status, items })).toBe(expected);
  });
});
