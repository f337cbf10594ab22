/**
 * The overall state a scan shows, derived from the permit's own state and each
 * licence's live state. One definition, used by the scan page and the demo.
 */
export type OverallState = 'VALID' | 'VALID_WITH_NOTED_ITEMS' | 'VOID' | 'PARTLY_UNAVAILABLE' | 'SUPERSEDED';

export interface ScannedItem {
  permitted: boolean;
  /** The live licence status; null when the department did not answer. */
  licenceStatus: string | null;
  hasLicence: boolean;
}

export function deriveOverallState(permitStatus: string, items: ScannedItem[]): OverallState {
  if (permitStatus === 'VOID') return 'VOID';
  if (permitStatus === 'SUPERSEDED') return 'SUPERSEDED';
  // A licence that has ended voids the permit even before the event is applied.
  if (items.some((i) => i.hasLicence && i.licenceStatus && i.licenceStatus !== 'VALID')) return 'VOID';
  if (items.some((i) => i.hasLicence && i.licenceStatus === null)) return 'PARTLY_UNAVAILABLE';
  if (items.some((i) => !i.permitted)) return 'VALID_WITH_NOTED_ITEMS';
  return 'VALID';
}

export const OVERALL_STATE_TEXT: Record<OverallState, { zh: string; en: string }> = {
  VALID: { zh: '有效', en: 'Valid' },
  VALID_WITH_NOTED_ITEMS: { zh: '有效（含未许可事项）', en: 'Valid, with items not permitted' },
  VOID: { zh: '已作废', en: 'Void' },
  PARTLY_UNAVAILABLE: { zh: '有效（部分部门暂时无法查询）', en: 'Valid as far as known: some departments unavailable' },
  SUPERSEDED: { zh: '已换发（以新版本为准）', en: 'Replaced by a newer version' },
};
