import { createHash } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { newEvent, type PlatformEvent } from '../events';
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
 * A claim is applied right away and re-applied by the relay sweep if a crash
 * came in between (`applied: false`).
 */
export type ReviewState = 'PENDING' | 'APPROVED' | 'DENIED';
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
  receivedAt: Date;
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
  validUntil: string;
  endedAt?: Date;
  endedReason?: string;
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

  constructor(
    db: Connection,
    readonly department: Department,
  ) {
    this.reviews = db.db!.collection('reviews');
    this.decisions = db.db!.collection('decisions');
    this.licences = db.db!.collection('licences');
    this.endings = db.db!.collection('licence_endings');
  }

  async prepare(): Promise<void> {
    await this.reviews.createIndex({ state: 1 });
    await this.licences.createIndex({ reviewId: 1 }, { unique: true });
  }

  static licenceIdFor(reviewId: string): string {
    return `lic-${createHash('sha256').update(reviewId).digest('hex').slice(0, 24)}`;
  }

  /** Idempotent: a redelivered dispatch finds the review already there. */
  async receiveDispatch(review: Omit<ReviewDoc, 'state'>): Promise<void> {
    const { _id, ...fields } = review;
    await this.reviews.updateOne({ _id }, { $setOnInsert: { ...fields, state: 'PENDING' } }, { upsert: true });
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
      licenceId: decision.licenceId ?? null,
      licenceType: decision.licenceId ? item.licenceType : null,
    }, `ItemDecided:${review._id}`);
  }

  /** Completes a claimed decision: issue the licence (approval) and update the review. Safe to repeat. */
  async applyDecision(decision: DecisionDoc): Promise<void> {
    const review = await this.reviews.findOne({ _id: decision.reviewId });
    if (!review) throw new Error(`decision ${decision._id} for a missing review`);
    if (decision.decision === 'APPROVED' && decision.licenceId) {
      const item = this.department.items.find((i) => i.code === review.itemCode)!;
      const validUntil = new Date(decision.decidedAt);
      validUntil.setFullYear(validUntil.getFullYear() + item.validityYears);
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
            validUntil: validUntil.toISOString().slice(0, 10),
          },
        },
        { upsert: true },
      );
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

  /** Finishes claims a crash left half-done; runs before each outbox sweep. */
  async repair(): Promise<void> {
    const staleBefore = new Date(Date.now() - 2000);
    for (const decision of await this.decisions.find({ applied: false, decidedAt: { $lt: staleBefore } }).toArray()) {
      await this.applyDecision(decision);
    }
    for (const ending of await this.endings.find({ applied: false, endedAt: { $lt: staleBefore } }).toArray()) {
      await this.applyEnding(ending);
    }
  }
}

/** Printed licence number: item code, date, and a short stable suffix. */
function licenceNumber(itemCode: string, date: Date, licenceId: string): string {
  const day = date.toISOString().slice(0, 10).replace(/-/g, '');
  return `${itemCode}-${day}-${licenceId.slice(4, 12).toUpperCase()}`;
}
