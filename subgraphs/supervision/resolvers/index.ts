import { requireRole } from '../../../shared/identity';
import { allCheckPoints, checklistOf, type CheckPointView } from '../checklist';
import { checkNotesInput } from '../notes';
import { SupervisionStore, type NotesRevision } from '../store';
import type { Resolvers } from '../__generated__/resolver-types';

/** What the gateway hands with a reference: the key and the fields this subgraph @requires. */
interface IndustryReference {
  code: string;
  items?: { item: { code: string } }[];
}
interface PermitReference {
  id: string;
  items?: { itemCode: string; permitted: boolean }[];
}

const notesView = (revision: NotesRevision) => ({
  industryCode: revision.industryCode,
  revision: revision.seq,
  sections: revision.sections,
  note: revision.note,
  publishedAt: revision.at.toISOString(),
});

export function supervisionResolvers(): Resolvers {
  return {
    Query: {
      // Public: the checklists are published (一公开), as the guide is.
      checkPoints: (_parent, { departmentCode }) => allCheckPoints().filter((p) => !departmentCode || p.departmentCode === departmentCode),
    },
    Mutation: {
      publishSupervisionNotes: async (_parent, { input }, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        checkNotesInput(input);
        const sections = input.sections.map((s) => ({ titleZh: s.titleZh.trim(), titleEn: s.titleEn.trim(), bodyZh: s.bodyZh.trim(), bodyEn: s.bodyEn.trim() }));
        return notesView(await new SupervisionStore(ctx.db).publishNotes(input.industryCode, sections, input.note.trim(), ctx.identity.subject, input.basedOnRevision));
      },
    },
    CheckPoint: {
      legalBasisZh: (point: CheckPointView) => point.legalBasis.zh,
      legalBasisEn: (point: CheckPointView) => point.legalBasis.en,
      correctionDays: (point: CheckPointView) => (point.onFailure === 'CORRECTION' ? (point.correctionDays ?? null) : null),
      illustrative: (point: CheckPointView) => point.illustrative === true,
    },
    Industry: {
      checklist: (industry) => checklistOf(((industry as IndustryReference).items ?? []).map((i) => i.item.code)),
      supervisionNotes: async (industry, _args, ctx) => {
        const latest = await new SupervisionStore(ctx.db).latestNotes((industry as IndustryReference).code);
        // Cleared notes (a revision with no sections) print nothing.
        return latest && latest.sections.length ? notesView(latest) : null;
      },
    },
    Permit: {
      // Only what the business holds a licence for is checked.
      checklist: (permit) => checklistOf(((permit as PermitReference).items ?? []).filter((i) => i.permitted).map((i) => i.itemCode)),
    },
  };
}
