import { createHash } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { isDuplicateKey } from '../db';
import { newEvent, type PlatformEvent } from '../events';
import { beijingDate } from '../working-days';
import type { Department } from '../registry';

/**
 * A department's data, in its own database:
 * - `reviews`: one per dispatched item (id = application id + item code);
 * - `decisions`: append-only, unique by `<reviewId>#1`; inserting one is how a
 *   reviewer claims the decision (atomic on MongoDB and FerretDB alike); it
 *   carries the `ItemDecided` event in its outbox;
 * - `licences`: issued on approval, id derived from the review so re-applying
 *   a decision never issues twice;
 * - `licence_endings`: unique by licence id; claims the ending of a licence and
 *   carries the `LicenceEnded` event.
 * - `licence_history`: the licence's append-only accountability record;
 *   entries caused by an event have ids derived from it, so a redelivery
 *   cannot add one twice.
 * A claim is applied right away and re-applied by the relay sweep if a crash
 * came in between (`applied: false`). A denied item that is resubmitted comes
 * back as the review's next `round`; each round is decided once (`<reviewId>#<round>`).
 */
export type ReviewState = 'PENDING' | 'CORRECTION_REQUESTED' | 'APPROVED' | 'DENIED' | 'WITHDRAWN';

/** A stretch of days the review's clock stood still (a correction request); `to` is null while open. */
export interface Pause {
  from: string;
  to: string | null;
}
export type LicenceStatus = 'VALID' | 'CANCELLED' | 'LAPSED' | 'WITHDRAWN' | 'ANNULLED' | 'REVOKED';

export interface Holder {
  companyName: string;
  creditCode: string;
  legalRepresentative?: string;
  businessAddress?: string;
}

export interface ReviewDoc {
  _id: string;
  applicationId: string;
  applicationNumber: string;
  itemCode: string;
  holder: Holder;
  values: Record<string, unknown>;
  state: ReviewState;
  /** 1 for the first dispatch; a resubmission after a denial is the next round. */
  round: number;
  receivedAt: Date;
  /** Approved on the applicant's commitment (告知承诺), to be verified afterwards. */
  commitment?: boolean;
  pauses?: Pause[];
  /** Correction requests made in this round. */
  corrections?: number;
  correctionProblems?: string[];
  inspection?: { scheduledFor?: string; scheduledBy?: string; recordedAt?: Date; recordedBy?: string; passed?: boolean; notes?: string };
  decidedAt?: Date;
  decidedBy?: string;
  reasons?: string[];
  licenceId?: string;
}

export interface DecisionDoc {
  _id: string;
  reviewId: string;
  decision: 'APPROVED' | 'DENIED';
  decidedBy: string;
  decidedAt: Date;
  reasons: string[];
  comment?: string;
  licenceId?: string;
  applied: boolean;
  _outbox: PlatformEvent[];
}

export interface LicenceDoc {
  _id: string;
  typename: string;
  licenceNumber: string;
  itemCode: string;
  reviewId: string;
  applicationId: string;
  holder: Holder;
  details: Record<string, unknown>;
  status: LicenceStatus;
  issuedAt: Date;
  /** YYYY-MM-DD; null for a licence without a fixed term (长期). */
  validUntil: string | null;
  endedAt?: Date;
  endedReason?: string;
}

export interface VerificationTaskDoc {
  _id: string; // the review id
  licenceId: string;
  applicationId: string;
  itemCode: string;
  holderName: string;
  createdAt: Date;
  deadline: string | null;
  state: 'OPEN' | 'PASSED' | 'FAILED';
  recordedAt?: Date;
  recordedBy?: string;
  notes?: string;
}

export interface CorrectionDoc {
  _id: string; // <reviewId>#<round>#c<n>: the claim
  reviewId: string;
  problems: string[];
  requestedAt: Date;
  requestedBy: string;
  _outbox: PlatformEvent[];
}

export interface LicenceHistoryDoc {
  _id: string;
  licenceId: string;
  at: Date;
  action: 'ISSUED' | 'CHANGED' | 'FACE_CHANGED' | 'ENDED';
  byRole: string;
  byDepartment?: string;
  by: string;
  reason?: string;
  /** What changed, for CHANGED and FACE_CHANGED. */
  changes?: Record<string, unknown>;
}

export interface EndingDoc {
  _id: string;
  licenceId: string;
  ending: Exclude<LicenceStatus, 'VALID'>;
  reason: string;
  endedBy: string;
  endedAt: Date;
  applied: boolean;
  _outbox: PlatformEvent[];
}

export class DepartmentStore {
  readonly reviews: mongo.Collection<ReviewDoc>;
  readonly decisions: mongo.Collection<DecisionDoc>;
  readonly licences: mongo.Collection<LicenceDoc>;
  readonly endings: mongo.Collection<EndingDoc>;
  readonly history: mongo.Collection<LicenceHistoryDoc>;
  readonly verifications: mongo.Collection<VerificationTaskDoc>;
  readonly corrections: mongo.Collection<CorrectionDoc>;

  constructor(
    db: Connection,
    readonly department: Department,
  ) {
    this.reviews = db.db!.collection('reviews');
    this.decisions = db.db!.collection('decisions');
    this.licences = db.db!.collection('licences');
    this.endings = db.db!.collection('licence_endings');
    this.history = db.db!.collection('licence_history');
    this.verifications = db.db!.collection('verification_tasks');
    this.corrections = db.db!.collection('correction_requests');
  }

  async prepare(): Promise<void> {
    await this.reviews.createIndex({ state: 1 });
    await this.licences.createIndex({ reviewId: 1 }, { unique: true });
    await this.licences.createIndex({ applicationId: 1 });
    await this.history.createIndex({ licenceId: 1, at: 1 });
  }

  static licenceIdFor(reviewId: string): string {
    return `lic-${createHash('sha256').update(reviewId).digest('hex').slice(0, 24)}`;
  }

  /**
   * Idempotent: a redelivered dispatch finds the review already there. A later
   * round (a resubmission after a denial) reopens the review with the new values.
   */
  async receiveDispatch(review: Omit<ReviewDoc, 'state'>): Promise<void> {
    const { _id, ...fields } = review;
    await this.reviews.updateOne({ _id }, { $setOnInsert: { ...fields, state: 'PENDING' } }, { upsert: true });
    await this.reviews.updateOne(
      { _id, state: 'DENIED', round: { $lt: review.round } },
      { $set: { ...fields, state: 'PENDING', corrections: 0, pauses: [] }, $unset: { decidedAt: '', decidedBy: '', reasons: '', inspection: '' } },
    );
  }

  /** The applicant withdrew: an undecided review is closed, and one not yet here never opens. */
  async withdraw(applicationId: string, itemCode: string): Promise<void> {
    const _id = `${applicationId}:${itemCode}`;
    await this.reviews.updateOne(
      { _id },
      { $setOnInsert: { applicationId, applicationNumber: '', itemCode, holder: { companyName: '', creditCode: '' }, values: {}, round: 1, receivedAt: new Date(), state: 'WITHDRAWN' } },
      { upsert: true },
    );
    await this.reviews.updateOne({ _id, state: { $in: ['PENDING', 'CORRECTION_REQUESTED'] } }, { $set: { state: 'WITHDRAWN' } });
  }

  /** Appends to a licence's history; an id derived from an event makes a redelivery harmless. */
  async recordHistory(entry: Omit<LicenceHistoryDoc, '_id'> & { _id?: string }): Promise<void> {
    const { _id = `${entry.licenceId}:${entry.at.getTime()}:${Math.random().toString(36).slice(2, 8)}`, ...fields } = entry;
    await this.history.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
  }

  decisionEvent(review: ReviewDoc, decision: Omit<DecisionDoc, '_outbox' | 'applied' | '_id' | 'reviewId'>): PlatformEvent {
    const item = this.department.items.find((i) => i.code === review.itemCode)!;
    return newEvent('ItemDecided', this.department.code, 'applications', {
      applicationId: review.applicationId,
      itemCode: review.itemCode,
      departmentCode: this.department.code,
      decision: decision.decision,
      reasons: decision.reasons,
      decidedAt: decision.decidedAt.toISOString(),
      receivedAt: review.receivedAt.toISOString(),
      pauses: review.pauses ?? [],
      onCommitment: decision.decidedBy === COMMITMENT_SYSTEM,
      licenceId: decision.licenceId ?? null,
      licenceType: decision.licenceId ? item.licenceType : null,
      round: review.round ?? 1,
    }, `ItemDecided:${review._id}#${review.round ?? 1}`);
  }

  /**
   * Claims the decision of a review's current round: the unique id
   * `<reviewId>#<round>` lets exactly one decision win, even when two reviewers
   * press at the same moment. Returns null when it was already claimed.
   */
  async claimDecision(review: ReviewDoc, decision: 'APPROVED' | 'DENIED', decidedBy: string, reasons: string[], comment?: string): Promise<DecisionDoc | null> {
    const decidedAt = new Date();
    const licenceId = decision === 'APPROVED' ? DepartmentStore.licenceIdFor(review._id) : undefined;
    const fields = { decision, decidedBy, decidedAt, reasons, licenceId };
    const doc: DecisionDoc = {
      _id: `${review._id}#${review.round ?? 1}`,
      reviewId: review._id,
      ...fields,
      ...(comment ? { comment } : {}),
      applied: false,
      _outbox: [this.decisionEvent(review, fields)],
    };
    try {
      await this.decisions.insertOne(doc);
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
    await this.applyDecision(doc);
    return doc;
  }

  /** Completes a claimed decision: issue the licence (approval) and update the review. Safe to repeat. */
  async applyDecision(decision: DecisionDoc): Promise<void> {
    const review = await this.reviews.findOne({ _id: decision.reviewId });
    if (!review) throw new Error(`decision ${decision._id} for a missing review`);
    if (decision.decision === 'APPROVED' && decision.licenceId) {
      const item = this.department.items.find((i) => i.code === review.itemCode)!;
      // 99 years or more means no fixed term (长期).
      const validUntil = item.validityYears >= 99 ? null : new Date(decision.decidedAt);
      validUntil?.setFullYear(validUntil.getFullYear() + item.validityYears);
      const details = Object.fromEntries(
        item.elements.filter((e) => e.section === 'item' || e.key === 'floorArea').map((e) => [e.key, review.values[e.key]]),
      );
      await this.licences.updateOne(
        { _id: decision.licenceId },
        {
          $setOnInsert: {
            typename: item.licenceType,
            licenceNumber: licenceNumber(item.code, decision.decidedAt, decision.licenceId),
            itemCode: item.code,
            reviewId: review._id,
            applicationId: review.applicationId,
            holder: review.holder,
            details,
            status: 'VALID',
            issuedAt: decision.decidedAt,
            validUntil: validUntil ? validUntil.toISOString().slice(0, 10) : null,
          },
        },
        { upsert: true },
      );
      await this.recordHistory({
        _id: `${decision.licenceId}:ISSUED`,
        licenceId: decision.licenceId,
        at: decision.decidedAt,
        action: 'ISSUED',
        byRole: 'REVIEWER',
        byDepartment: this.department.code,
        by: decision.decidedBy,
      });
    }
    await this.reviews.updateOne(
      { _id: review._id },
      {
        $set: {
          state: decision.decision,
          decidedAt: decision.decidedAt,
          decidedBy: decision.decidedBy,
          reasons: decision.reasons,
          ...(decision.licenceId ? { licenceId: decision.licenceId } : {}),
        },
      },
    );
    await this.decisions.updateOne({ _id: decision._id }, { $set: { applied: true } });
  }

  /** Completes a claimed ending. The event already travels with the claim. Safe to repeat. */
  async applyEnding(ending: EndingDoc): Promise<void> {
    await this.licences.updateOne(
      { _id: ending.licenceId },
      { $set: { status: ending.ending, endedAt: ending.endedAt, endedReason: ending.reason } },
    );
    await this.recordHistory({
      _id: `${ending.licenceId}:ENDED`,
      licenceId: ending.licenceId,
      at: ending.endedAt,
      action: 'ENDED',
      byRole: ending.endedBy === SYSTEM ? 'SYSTEM' : 'REVIEWER',
      byDepartment: this.department.code,
      by: ending.endedBy,
      reason: `${ending.ending}: ${ending.reason}`,
    });
    await this.endings.updateOne({ _id: ending._id }, { $set: { applied: true } });
  }

  endingEvent(licence: LicenceDoc, ending: Pick<EndingDoc, 'ending' | 'reason' | 'endedAt'>): PlatformEvent {
    return newEvent('LicenceEnded', this.department.code, 'permit', {
      licenceId: licence._id,
      licenceType: licence.typename,
      itemCode: licence.itemCode,
      departmentCode: this.department.code,
      ending: ending.ending,
      reason: ending.reason,
      endedAt: ending.endedAt.toISOString(),
    }, `LicenceEnded:${licence._id}`);
  }

  /**
   * Claims the ending of a licence: the unique id (the licence id) lets only one
   * ending happen; the claim carries the `LicenceEnded` event. Returns false when
   * the licence had already been claimed.
   */
  async claimEnding(licence: LicenceDoc, ending: EndingDoc['ending'], reason: string, endedBy: string): Promise<EndingDoc | null> {
    const endedAt = new Date();
    const fields = { ending, reason, endedAt };
    const doc: EndingDoc = { _id: licence._id, licenceId: licence._id, ...fields, endedBy, applied: false, _outbox: [this.endingEvent(licence, fields)] };
    try {
      await this.endings.insertOne(doc);
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
    await this.applyEnding(doc);
    return doc;
  }

  /** Applies a face change to every licence of the application here; the change id makes repeats harmless. */
  async applyFaceChange(
    applicationId: string,
    changeId: string,
    holder: Partial<Holder> & { legalRepresentative?: string },
    by: { role: string; subject: string },
    reason: string,
  ): Promise<void> {
    const set = Object.fromEntries(Object.entries(holder).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [`holder.${k}`, v]));
    for (const licence of await this.licences.find({ applicationId }).toArray()) {
      if (Object.keys(set).length) await this.licences.updateOne({ _id: licence._id }, { $set: set });
      await this.recordHistory({
        _id: `${licence._id}:${changeId}`,
        licenceId: licence._id,
        at: new Date(),
        action: 'FACE_CHANGED',
        byRole: by.role,
        by: by.subject,
        reason,
        changes: holder,
      });
    }
  }

  /** A licence whose end date has passed lapses (失效) without anyone acting. */
  async lapseExpired(today = beijingDate(new Date())): Promise<number> {
    const expired = await this.licences.find({ status: 'VALID', validUntil: { $ne: null, $lt: today } }).toArray();
    let lapsed = 0;
    for (const licence of expired) {
      if (await this.claimEnding(licence, 'LAPSED', `有效期于 ${licence.validUntil} 届满 / validity ended on ${licence.validUntil}`, SYSTEM)) lapsed++;
    }
    return lapsed;
  }

  /** Finishes claims a crash left half-done and lapses expired licences; runs before each outbox sweep. */
  async repair(): Promise<void> {
    await this.lapseExpired();
    const staleBefore = new Date(Date.now() - 2000);
    for (const decision of await this.decisions.find({ applied: false, decidedAt: { $lt: staleBefore } }).toArray()) {
      await this.applyDecision(decision);
    }
    for (const ending of await this.endings.find({ applied: false, endedAt: { $lt: staleBefore } }).toArray()) {
      await this.applyEnding(ending);
    }
  }
}

/** Who acts when nobody does: a licence lapsing at its end date. */
export const SYSTEM = 'system';
/** Who approves on an applicant's commitment (告知承诺): the rule, at once, not a reviewer. */
export const COMMITMENT_SYSTEM = 'system:commitment';

/** Printed licence number: item code, date, and a short stable suffix. */
function licenceNumber(itemCode: string, date: Date, licenceId: string): string {
  const day = date.toISOString().slice(0, 10).replace(/-/g, '');
  return `${itemCode}-${day}-${licenceId.slice(4, 12).toUpperCase()}`;
}
