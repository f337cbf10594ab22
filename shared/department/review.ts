import type { OutboxFields } from '../events';
import type { LicenceDoc } from './licence';

/**
 * A department's review of one dispatched item, as its log (collection
 * `reviews`): the review document written on the first dispatch (id
 * `<applicationId>:<itemCode>`), then one step per change (id
 * `<reviewId>#<seq>`). Its current state is the fold of the log
 * (`foldReview`); the next step is appended only from the state it was decided
 * on, so two reviewers (or a reviewer and the applicant's withdrawal) can
 * never both change a review from the same state.
 */
export type ReviewState = 'PENDING' | 'CORRECTION_REQUESTED' | 'APPROVED' | 'DENIED' | 'WITHDRAWN';

/** A stretch of days the review's clock stood still (a correction request); `to` is null while open. */
export interface Pause {
  from: string;
  to: string | null;
}

export interface Holder {
  companyName: string;
  creditCode: string;
  legalRepresentative?: string;
  businessAddress?: string;
}

export interface ReviewDoc {
  _id: string;
  record: 'REVIEW';
  reviewId: string;
  applicationId: string;
  applicationNumber: string;
  itemCode: string;
  holder: Holder;
  values: Record<string, unknown>;
  receivedAt: Date;
  /** The applicant commits (告知承诺): approved at once, verified afterwards. */
  commitment: boolean;
}

interface StepCommon {
  _id: string;
  record: 'STEP';
  reviewId: string;
  seq: number;
  round: number;
  at: Date;
  by: string;
}

export type ReviewStep = StepCommon &
  (
    | { kind: 'REDISPATCHED'; values: Record<string, unknown>; receivedAt: Date }
    | ({ kind: 'CORRECTION_REQUESTED'; problems: string[]; from: string; correctionId: string } & OutboxFields)
    | { kind: 'CORRECTED'; values: Record<string, unknown>; to: string; correctionId: string }
    | { kind: 'INSPECTION_SCHEDULED'; date: string }
    | { kind: 'INSPECTION_RECORDED'; passed: boolean; notes: string }
    | ({
        kind: 'DECIDED';
        decision: 'APPROVED' | 'DENIED';
        reasons: string[];
        comment?: string;
        onCommitment: boolean;
        /** The licence this approval issues, written by the step's completion (and by the relay after a crash). */
        licence?: LicenceDoc;
        /** On commitment: the verification task it opens. */
        verificationTask?: VerificationTaskDoc;
      } & OutboxFields)
    | ({ kind: 'WITHDRAWAL_HELD'; attempt: string } & OutboxFields)
    | { kind: 'WITHDRAWAL_RELEASED'; attempt: string }
  );

export type ReviewStepKind = ReviewStep['kind'];
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A step before it has its place in the log. */
export type NewReviewStep = DistributiveOmit<ReviewStep, '_id' | 'record' | 'reviewId' | 'seq'>;

export interface Inspection {
  scheduledFor?: string;
  scheduledBy?: string;
  recordedAt?: Date;
  recordedBy?: string;
  passed?: boolean;
  notes?: string;
}

/** The review as its log says it stands. */
export interface Review {
  doc: ReviewDoc;
  id: string;
  seq: number;
  state: ReviewState;
  round: number;
  values: Record<string, unknown>;
  receivedAt: Date;
  pauses: Pause[];
  /** Correction requests made in this round. */
  corrections: number;
  correctionProblems?: string[];
  openCorrectionId?: string;
  inspection?: Inspection;
  decidedAt?: Date;
  decidedBy?: string;
  reasons?: string[];
  licenceId?: string;
  /** The licence as the approving step issued it: what the review shows until the step's completion has written it. */
  issuedLicence?: LicenceDoc;
  onCommitment: boolean;
  /** The withdrawal attempt holding this review, and the state it held it in. */
  heldBy?: string;
  stateBeforeHold?: ReviewState;
}

export function foldReview(doc: ReviewDoc, steps: ReviewStep[]): Review {
  const review: Review = {
    doc,
    id: doc._id,
    seq: 0,
    state: 'PENDING',
    round: 1,
    values: doc.values,
    receivedAt: doc.receivedAt,
    pauses: [],
    corrections: 0,
    onCommitment: false,
  };
  for (const step of [...steps].sort((a, b) => a.seq - b.seq)) {
    review.seq = step.seq;
    switch (step.kind) {
      case 'REDISPATCHED':
        Object.assign(review, { state: 'PENDING', round: step.round, values: step.values, receivedAt: step.receivedAt, pauses: [], corrections: 0 });
        for (const key of ['correctionProblems', 'openCorrectionId', 'inspection', 'decidedAt', 'decidedBy', 'reasons'] as const) delete review[key];
        break;
      case 'CORRECTION_REQUESTED':
        review.state = 'CORRECTION_REQUESTED';
        review.corrections++;
        review.correctionProblems = step.problems;
        review.openCorrectionId = step.correctionId;
        review.pauses = [...review.pauses, { from: step.from, to: null }];
        break;
      case 'CORRECTED':
        review.state = 'PENDING';
        review.values = { ...review.values, ...step.values };
        review.pauses = review.pauses.map((p) => (p.to === null ? { ...p, to: step.to } : p));
        delete review.openCorrectionId;
        break;
      case 'INSPECTION_SCHEDULED':
        review.inspection = { scheduledFor: step.date, scheduledBy: step.by };
        break;
      case 'INSPECTION_RECORDED':
        review.inspection = { ...review.inspection, recordedAt: step.at, recordedBy: step.by, passed: step.passed, notes: step.notes };
        break;
      case 'DECIDED':
        review.state = step.decision;
        review.decidedAt = step.at;
        review.decidedBy = step.by;
        review.reasons = step.reasons;
        review.onCommitment = step.onCommitment;
        if (step.licence) {
          review.licenceId = step.licence._id;
          review.issuedLicence = step.licence;
        }
        break;
      case 'WITHDRAWAL_HELD':
        review.stateBeforeHold = review.state;
        review.state = 'WITHDRAWN';
        review.heldBy = step.attempt;
        break;
      case 'WITHDRAWAL_RELEASED':
        review.state = review.stateBeforeHold ?? 'PENDING';
        delete review.heldBy;
        delete review.stateBeforeHold;
        break;
    }
  }
  return review;
}

/** Groups the records of many reviews (as one query returns them) into folded reviews. */
export function foldReviews(records: (ReviewDoc | ReviewStep)[]): Review[] {
  const docs = new Map<string, ReviewDoc>();
  const steps = new Map<string, ReviewStep[]>();
  for (const record of records) {
    if (record.record === 'REVIEW') docs.set(record._id, record);
    else steps.set(record.reviewId, [...(steps.get(record.reviewId) ?? []), record]);
  }
  return [...docs.values()].map((doc) => foldReview(doc, steps.get(doc._id) ?? []));
}

export interface VerificationTaskDoc {
  _id: string; // the review id
  record: 'TASK';
  licenceId: string;
  applicationId: string;
  itemCode: string;
  holderName: string;
  createdAt: Date;
  deadline: string | null;
}

/** The verification's result: one per task (id `<reviewId>:RESULT`), the claim; a failure annuls the licence. */
export interface VerificationResultDoc extends OutboxFields {
  _id: string;
  record: 'RESULT';
  taskId: string;
  licenceId: string;
  passed: boolean;
  notes: string;
  recordedAt: Date;
  recordedBy: string;
}
