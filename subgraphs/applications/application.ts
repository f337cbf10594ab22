import type { Answers } from '../../shared/catalogue';
import type { OutboxFields } from '../../shared/events';
import type { NotificationText } from './notifications';

/**
 * An application as its records: the submission (`applications`, written once)
 * and its log of steps (`application_steps`, id `<applicationId>#<seq>`), one
 * per change of state. Every change of the application's life (acceptance,
 * the supplement notice, the supplement, refusal, withdrawal, the decision of
 * every item) is a step appended from the state it was decided on, so two of
 * them can never both happen from one state: a supplement and a withdrawal at
 * the same moment compete for the same step, and one of them is refused.
 *
 *   SUBMITTED ──ACCEPTED──► ACCEPTED ──DECIDED──► DECIDED
 *       │ └SUPPLEMENT_REQUESTED─► SUPPLEMENT_REQUESTED ──SUPPLEMENTED──► SUBMITTED (stage 2)
 *       └─REFUSED / WITHDRAWN (from SUBMITTED or SUPPLEMENT_REQUESTED)
 *   ACCEPTED ──WITHDRAWAL_REQUESTED──► WITHDRAWING ──WITHDRAWN──► WITHDRAWN
 *                                           └──WITHDRAWAL_FAILED──► ACCEPTED
 *
 * Withdrawing an accepted application asks every department to hold its review
 * (the hold and a reviewer's decision compete for the same step of the review):
 * if every department holds, the withdrawal succeeds; if any item was decided
 * first, it fails and the holds are released. Either way for the whole application.
 */
export type ApplicationStatus = 'SUBMITTED' | 'SUPPLEMENT_REQUESTED' | 'ACCEPTED' | 'WITHDRAWING' | 'DECIDED' | 'REFUSED' | 'WITHDRAWN';

export interface SupplementProblem {
  /** A material code, a form field key, or `other`. */
  target: string;
  kind: 'MATERIAL' | 'FIELD' | 'OTHER';
  messageZh: string;
  messageEn: string;
}

export interface SupplementNotice {
  noticedAt: Date;
  deadline: string;
  by: string;
  problems: SupplementProblem[];
}

export interface ApplicationItemDoc {
  itemCode: string;
  departmentCode: string;
}

/** The submission, as made; never changed. */
export interface ApplicationDoc {
  _id: string;
  number: string;
  industryCode: string;
  /** The catalogue edition the application was made under (pinned). */
  edition: string;
  channel: 'ONLINE' | 'WINDOW';
  submittedBy: string;
  submittedByClerk?: string;
  creditCode: string;
  holderName: string;
  answers: Answers;
  values: Record<string, unknown>;
  items: ApplicationItemDoc[];
  submittedAt: Date;
  /** Items the applicant commits on (告知承诺) instead of some materials. */
  commitments: string[];
}

export interface MaterialDoc {
  _id: string;
  applicationId: string;
  creditCode: string;
  materialCode: string;
  source: 'UPLOAD' | 'HELD';
  /** For uploads: the file's SHA-256; for held materials: the holding's reference. */
  sha256: string | null;
  reference: string | null;
  size: number | null;
  mediaType: string | null;
  name: string;
  attachedAt: Date;
  attachedBy: string;
}

interface StepCommon extends Partial<OutboxFields> {
  _id: string;
  applicationId: string;
  seq: number;
  at: Date;
  by: string;
  /** What the applicant is told of this step; written by the step's completion. */
  notification?: { key: string; creditCode: string; text: NotificationText };
}

export type ApplicationStep = StepCommon &
  (
    | { kind: 'ACCEPTED'; materials: MaterialDoc[] }
    | { kind: 'SUPPLEMENT_REQUESTED'; notice: SupplementNotice }
    | { kind: 'SUPPLEMENTED'; values: Record<string, unknown> }
    | { kind: 'REFUSED'; reasons: string[] }
    | { kind: 'WITHDRAWN'; reason: string }
    | { kind: 'WITHDRAWAL_REQUESTED'; reason: string }
    | { kind: 'WITHDRAWAL_FAILED'; attempt: string; decidedItem: string }
    | { kind: 'DECIDED' }
  );

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewApplicationStep = DistributiveOmit<ApplicationStep, '_id' | 'applicationId' | 'seq'>;

/** The applicant's reply to a department's correction request (id = the request's id): the claim. */
export interface CorrectionReplyDoc extends OutboxFields {
  _id: string;
  applicationId: string;
  itemCode: string;
  values: Record<string, unknown>;
  /** The day the clock runs again. */
  to: string;
  at: Date;
  by: string;
}

/** A department's correction request, as the bureau learnt it (from `ItemCorrectionRequested`). */
export interface CorrectionNoticeDoc {
  _id: string;
  applicationId: string;
  itemCode: string;
  problems: string[];
  /** The day the clock stopped. */
  from: string;
  at: Date;
}

export interface FaceChangeDoc extends OutboxFields {
  _id: string;
  applicationId: string;
  /** 1, 2, …: the order face changes apply in. */
  n: number;
  changes: { companyName?: string; legalRepresentative?: string; businessAddress?: string };
  reason: string;
  submittedAt: Date;
  submittedBy: { role: string; subject: string };
}

/** The application as its records say it stands now. */
export interface Application {
  doc: ApplicationDoc;
  id: string;
  seq: number;
  status: ApplicationStatus;
  /** Submitted values, with the supplement, corrections and face changes applied in order. */
  values: Record<string, unknown>;
  holderName: string;
  acceptedAt?: Date;
  acceptedBy?: string;
  /** The materials as accepted: fixed from acceptance on. */
  acceptedMaterials?: MaterialDoc[];
  supplementNotice?: SupplementNotice;
  supplementedAt?: Date;
  refusal?: { at: Date; by: string; reasons: string[] };
  withdrawal?: { at: Date; by: string; reason: string };
  /** The withdrawal in progress (its step id), while WITHDRAWING. */
  withdrawalAttempt?: string;
  /** A withdrawal that failed because an item was decided first. */
  failedWithdrawal?: { at: Date; decidedItem: string };
  steps: ApplicationStep[];
}

export function foldApplication(doc: ApplicationDoc, steps: ApplicationStep[], corrections: CorrectionReplyDoc[] = [], faceChanges: FaceChangeDoc[] = []): Application {
  const app: Application = { doc, id: doc._id, seq: 0, status: 'SUBMITTED', values: doc.values, holderName: doc.holderName, steps: [...steps].sort((a, b) => a.seq - b.seq) };
  for (const step of app.steps) {
    app.seq = step.seq;
    switch (step.kind) {
      case 'ACCEPTED':
        Object.assign(app, { status: 'ACCEPTED', acceptedAt: step.at, acceptedBy: step.by, acceptedMaterials: step.materials });
        break;
      case 'SUPPLEMENT_REQUESTED':
        Object.assign(app, { status: 'SUPPLEMENT_REQUESTED', supplementNotice: step.notice });
        break;
      case 'SUPPLEMENTED':
        Object.assign(app, { status: 'SUBMITTED', supplementedAt: step.at, values: { ...app.values, ...step.values } });
        break;
      case 'REFUSED':
        Object.assign(app, { status: 'REFUSED', refusal: { at: step.at, by: step.by, reasons: step.reasons } });
        break;
      case 'WITHDRAWAL_REQUESTED':
        Object.assign(app, { status: 'WITHDRAWING', withdrawalAttempt: step._id, withdrawal: { at: step.at, by: step.by, reason: step.reason } });
        break;
      case 'WITHDRAWN':
        app.status = 'WITHDRAWN';
        app.withdrawal = app.withdrawal ?? { at: step.at, by: step.by, reason: step.reason };
        delete app.withdrawalAttempt;
        break;
      case 'WITHDRAWAL_FAILED':
        Object.assign(app, { status: 'ACCEPTED', failedWithdrawal: { at: step.at, decidedItem: step.decidedItem } });
        delete app.withdrawal;
        delete app.withdrawalAttempt;
        break;
      case 'DECIDED':
        app.status = 'DECIDED';
        break;
    }
  }
  // Corrections and face changes change the values after acceptance, in the order they were made.
  const later = [
    ...corrections.map((c) => ({ at: c.at.getTime(), n: 0, values: c.values })),
    ...faceChanges.map((f) => ({ at: f.submittedAt.getTime(), n: f.n, values: f.changes as Record<string, unknown> })),
  ].sort((a, b) => a.at - b.at || a.n - b.n);
  for (const change of later) app.values = { ...app.values, ...change.values };
  const named = [...faceChanges].sort((a, b) => a.n - b.n).filter((f) => f.changes.companyName);
  if (named.length) app.holderName = named[named.length - 1].changes.companyName!;
  return app;
}

/** Items' outcomes as recorded from the departments' decisions. */
export interface ItemOutcomeDoc extends Partial<OutboxFields> {
  _id: string;
  applicationId: string;
  itemCode: string;
  round: number;
  /** The review's clock pauses (correction requests), for processing-time statistics. */
  pauses?: { from: string; to: string | null }[];
  onCommitment?: boolean;
  decision: 'APPROVED' | 'DENIED';
  reasons: string[];
  decidedAt: Date;
  licenceId: string | null;
  licenceType: string | null;
}

/** A department's answer to a withdrawal: it holds the item's review (id `<attempt>:<itemCode>`). */
export interface WithdrawalAnswerDoc {
  _id: string;
  applicationId: string;
  attempt: string;
  itemCode: string;
  at: Date;
}

export interface ResubmissionDoc extends OutboxFields {
  _id: string;
  applicationId: string;
  itemCode: string;
  round: number;
  values: Record<string, unknown>;
  submittedAt: Date;
  submittedBy: string;
}
