import { allCheckPoints, checklistOf, type CheckPointView } from '../checklist';
import type { Resolvers } from '../__generated__/resolver-types';

/** What the gateway hands with a reference: the fields this subgraph @requires. */
interface IndustryReference {
  code: string;
  items?: { item: { code: string } }[];
}
interface PermitReference {
  id: string;
  items?: { itemCode: string; permitted: boolean }[];
}

export function supervisionResolvers(): Resolvers {
  return {
    Query: {
      // Public: the checklists are published (一公开), as the guide is.
      checkPoints: (_parent, { departmentCode }) => allCheckPoints().filter((p) => !departmentCode || p.departmentCode === departmentCode),
    },
    CheckPoint: {
      legalBasisZh: (point: CheckPointView) => point.legalBasis.zh,
      legalBasisEn: (point: CheckPointView) => point.legalBasis.en,
      correctionDays: (point: CheckPointView) => (point.onFailure === 'CORRECTION' ? (point.correctionDays ?? null) : null),
      illustrative: (point: CheckPointView) => point.illustrative === true,
    },
    Industry: {
      checklist: (industry) => checklistOf(((industry as IndustryReference).items ?? []).map((i) => i.item.code)),
    },
    Permit: {
      // Only what the business holds a licence for is checked.
      checklist: (permit) => checklistOf(((permit as PermitReference).items ?? []).filter((i) => i.permitted).map((i) => i.itemCode)),
    },
  };
}
