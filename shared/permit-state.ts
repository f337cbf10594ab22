/**
 * What a permit's and a licence's states are, and what they are called: the
 * overall state a scan shows is derived here and only here (for the permit
 * subgraph's `Permit.overallState` and for the scan page), and the words for every state are here,
 * so the scan page, the certificate and the demo say the same thing.
 */
export type OverallState = 'VALID' | 'VALID_WITH_NOTED_ITEMS' | 'VOID' | 'PARTLY_UNAVAILABLE' | 'SUPERSEDED';
export type PermitStatus = 'VALID' | 'VOID' | 'SUPERSEDED';
export type LicenceStatus = 'VALID' | 'CANCELLED' | 'LAPSED' | 'WITHDRAWN' | 'ANNULLED' | 'REVOKED';

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

/**
 * The same derivation from a scan's answer: the permit's own state and each
 * licence as its department answered it (null fields: it did not answer). The
 * scan page uses it, which spares the gateway the third subgraph call that the
 * `overallState` field costs (it needs the licences' states first: README,
 * "Gateway runtimes").
 */
export function overallStateOfScan(permit: { status: string; items: readonly { permitted: boolean; licence?: { status?: string | null } | null }[] }): OverallState {
  return deriveOverallState(
    permit.status,
    permit.items.map((item) => ({ permitted: item.permitted, hasLicence: Boolean(item.licence), licenceStatus: item.licence?.status ?? null })),
  );
}

type Words = { zh: string; en: string };

export const OVERALL_STATE_TEXT: Record<OverallState, Words> = {
  VALID: { zh: '有效', en: 'Valid' },
  VALID_WITH_NOTED_ITEMS: { zh: '有效（含未许可事项）', en: 'Valid, with items not permitted' },
  VOID: { zh: '已作废', en: 'Void' },
  PARTLY_UNAVAILABLE: { zh: '有效（部分部门暂时无法查询）', en: 'Valid as far as known: some departments unavailable' },
  SUPERSEDED: { zh: '已换发（以新版本为准）', en: 'Replaced by a newer version' },
};

export const PERMIT_STATUS_TEXT: Record<PermitStatus, Words> = {
  VALID: { zh: '有效', en: 'Valid' },
  VOID: { zh: '已作废', en: 'Void' },
  SUPERSEDED: { zh: '已换发', en: 'Superseded' },
};

export const LICENCE_STATUS_TEXT: Record<LicenceStatus, Words> = {
  VALID: { zh: '有效', en: 'Valid' },
  CANCELLED: { zh: '已注销', en: 'Cancelled' },
  LAPSED: { zh: '已失效', en: 'Lapsed' },
  WITHDRAWN: { zh: '已撤回', en: 'Withdrawn' },
  ANNULLED: { zh: '已撤销', en: 'Annulled' },
  REVOKED: { zh: '已吊销', en: 'Revoked' },
};

/** The words for a licence state; `ENDED` when only the fact is known (its department is not answering); an unknown one as it is. */
export function licenceStatusText(status: string): Words {
  if (status === 'ENDED') return { zh: '已终止', en: 'Ended' };
  return LICENCE_STATUS_TEXT[status as LicenceStatus] ?? { zh: status, en: status };
}
