import { createHash } from 'node:crypto';
import type { IndexDeclaration } from '../db';
import type { Connection, mongo } from 'mongoose';
import { platformError } from '../errors';
import { newEvent, outbox, type OutboxSource, type PlatformEvent } from '../events';
import { priorOf } from '../idempotency';
import { appendStep, byId, byIds, insertOnce, insertPending, LostRaceError, readLog, stepId } from '../records';
import { beijingDate, beijingToday, compactDate, validUntil } from '../beijing-calendar';
import type { Department } from '../registry';
import { foldLicence, foldLicences, type Ending, type Licence, type LicenceChangeDoc, type LicenceDoc, type LicenceEndedDoc, type LicenceRecord } from './licence';
import { foldReview, foldReviews, type NewReviewStep, type Review, type ReviewDoc, type ReviewStep, type VerificationResultDoc, type VerificationTaskDoc } from './review';
import { departmentConfig } from './config';

/**
 * A department's data, in its own database. Nothing is updated after it is
 * written (shared/records.ts): reviews are logs of steps (`reviews`), licences
 * are sets of records (`licences`), verifications are a task and its one
 * result (`verifications`). Every write is an insert, and every state change
 * is an insert whose id only one writer can win.
 */
export class DepartmentStore {
  readonly db: mongo.Db;
  readonly reviews: mongo.Collection<ReviewDoc | ReviewStep>;
  readonly licences: mongo.Collection<LicenceRecord>;
  readonly verifications: mongo.Collection<VerificationTaskDoc | VerificationResultDoc>;

  constructor(
    db: Connection,
    readonly department: Department,
  ) {
    this.db = db.db!;
    this.reviews = db.db!.collection('reviews');
    this.licences = db.db!.collection('licences');
    this.verifications = db.db!.collection('verifications');
  }

  /** The collections whose documents carry events or effects: declared here, next to the writes that fill them. */
  outboxSources(): OutboxSource[] {
    return [
      { collection: 'reviews', complete: (doc) => this.completeStep(doc as ReviewStep) },
      { collection: 'licences' },
      { collection: 'verifications', complete: (doc) => this.completeVerification(doc as VerificationResultDoc) },
    ];
  }

  /** Made and checked at start (`ensureIndexes`): reads go by id, and the sweep for licences past their end date has its own. */
  static readonly indexes: readonly IndexDeclaration[] = [
    { collection: 'reviews', keys: { _id: 1 }, serves: 'a review and its log of steps' },
    { collection: 'licences', keys: { _id: 1 }, serves: 'a licence and its log (every scan of a permit listing it)' },
    { collection: 'verifications', keys: { _id: 1 }, serves: 'a verification task and its result' },
    { collection: 'licences', keys: { record: 1, validUntil: 1 }, serves: 'licences whose end date set at issue has passed (lapseExpired)' },
    { collection: 'licences', keys: { record: 1, 'changes.validUntil': 1 }, serves: 'licences whose end date set by a change has passed (lapseExpired)' },
  ];

  static licenceIdFor(reviewId: string): string {
    return `lic-${createHash('sha256').update(reviewId).digest('hex').slice(0, 24)}`;
  }

  // ── reviews ───────────────────────────────────────────────────────────────

  /** A review: its document and its log of steps, read by id. */
  async review(reviewId: string): Promise<Review | null> {
    const [doc, steps] = await Promise.all([byId(this.reviews, reviewId), readLog(this.reviews, (n) => stepId(reviewId, n))]);
    return doc?.record === 'REVIEW' ? foldReview(doc, steps as ReviewStep[]) : null;
  }

  /** Every review of the department, for its queue (a sweep over the collection). */
  async allReviews(): Promise<Review[]> {
    return foldReviews(await this.reviews.find({}).toArray());
  }

  /**
   * Appends one step to a review's log, decided on its current state (see
   * `appendStep`): `decide` returns the step, throws a refusal, or returns
   * null when there is nothing to do. Returns the review after the step.
   */
  async appendReviewStep(reviewId: string, decide: (review: Review) => NewReviewStep | null): Promise<{ review: Review; step: ReviewStep | null }> {
    let appended: ReviewStep | null = null;
    try {
      const result = await appendStep(
        async () => {
          const review = await this.review(reviewId);
          if (!review) throw new Error(`no review ${reviewId}`);
          return { state: review, seq: review.seq };
        },
        (review) => decide(review),
        async (step, seq) => {
          const doc = { ...step, _id: stepId(reviewId, seq), record: 'STEP', reviewId, seq } as ReviewStep;
          const won = await insertPending(this.db, this.reviews, doc);
          if (won) appended = doc;
          return won;
        },
      );
      if (!appended) return { review: result.state, step: null };
    } catch (error) {
      if (error instanceof LostRaceError) {
        throw platformError('CONFLICT', '该事项正被同时办理，请刷新后重试', 'This item is being handled by someone else at the same moment; reload and try again', { field: 'reviewId' });
      }
      throw error;
    }
    await this.completeStep(appended);
    return { review: (await this.review(reviewId))!, step: appended };
  }

  /** The first dispatch of an item opens its review; a redelivery finds it there. */
  async openReview(doc: Omit<ReviewDoc, 'record' | 'reviewId'>): Promise<void> {
    await insertOnce(this.reviews, { ...doc, record: 'REVIEW', reviewId: doc._id });
  }

  /** A step's effects besides its events: an approval's licence and verification task. Harmless to repeat. */
  async completeStep(step: ReviewStep): Promise<void> {
    if (step.kind !== 'DECIDED') return;
    if (step.licence) await insertOnce(this.licences, step.licence);
    if (step.verificationTask) await insertOnce(this.verifications, step.verificationTask);
  }

  /** The `ItemDecided` event of a decision (or of a withdrawal holding the review: decision WITHDRAWN). */
  decisionEvent(review: Review, decision: { decision: 'APPROVED' | 'DENIED'; reasons: string[]; at: Date; onCommitment: boolean; licenceId: string | null }): PlatformEvent {
    const item = this.department.items.find((i) => i.code === review.doc.itemCode)!;
    return newEvent('ItemDecided', this.department.code, 'applications', {
      applicationId: review.doc.applicationId,
      itemCode: review.doc.itemCode,
      departmentCode: this.department.code,
      decision: decision.decision,
      reasons: decision.reasons,
      decidedAt: decision.at.toISOString(),
      receivedAt: review.receivedAt.toISOString(),
      pauses: review.pauses,
      onCommitment: decision.onCommitment,
      licenceId: decision.licenceId,
      licenceType: decision.licenceId ? item.licenceType : null,
      round: review.round,
    }, `ItemDecided:${review.id}#${review.round}`);
  }

  /**
   * The decision step: the licence an approval issues (and, on commitment, the
   * verification task) travel in the step, written by its completion.
   */
  decisionStep(review: Review, decision: 'APPROVED' | 'DENIED', by: string, reasons: string[], options: { comment?: string; onCommitment?: boolean; verificationDeadline?: string | null } = {}): NewReviewStep {
    const at = new Date();
    const item = this.department.items.find((i) => i.code === review.doc.itemCode)!;
    const licenceId = decision === 'APPROVED' ? DepartmentStore.licenceIdFor(review.id) : null;
    const licence: LicenceDoc | undefined = licenceId
      ? {
          _id: licenceId,
          record: 'LICENCE',
          licenceId,
          typename: item.licenceType,
          licenceNumber: licenceNumber(item.code, at, licenceId),
          itemCode: item.code,
          reviewId: review.id,
          applicationId: review.doc.applicationId,
          holder: review.doc.holder,
          // The licence's own fields, as decided.
          details: Object.fromEntries(item.elements.filter((e) => e.section === 'item' || e.key === 'floorArea').map((e) => [e.key, review.values[e.key]])),
          issuedAt: at,
          issuedBy: by,
          // 99 years or more means no fixed term (长期); otherwise counted from the Beijing date of the decision.
          validUntil: validUntil(at, item.validityYears),
        }
      : undefined;
    const onCommitment = Boolean(options.onCommitment);
    const verificationTask: VerificationTaskDoc | undefined =
      onCommitment && licenceId
        ? { _id: review.id, record: 'TASK', licenceId, applicationId: review.doc.applicationId, itemCode: item.code, holderName: review.doc.holder.companyName, createdAt: at, deadline: options.verificationDeadline ?? null }
        : undefined;
    return {
      kind: 'DECIDED',
      round: review.round,
      at,
      by,
      decision,
      reasons,
      onCommitment,
      ...(options.comment ? { comment: options.comment } : {}),
      ...(licence ? { licence } : {}),
      ...(verificationTask ? { verificationTask } : {}),
      ...outbox([this.decisionEvent(review, { decision, reasons, at, onCommitment, licenceId })], { effects: Boolean(licence) }),
    };
  }

  // ── licences ──────────────────────────────────────────────────────────────

  async licence(licenceId: string): Promise<Licence | null> {
    return (await this.licencesById([licenceId])).get(licenceId) ?? null;
  }

  /** Many licences at once (the scan's `_entities` batch), read by id. */
  async licencesById(ids: readonly string[]): Promise<Map<string, Licence>> {
    // One query for every licence, its ending and its first change; only a licence that has changed reads on.
    const unique = [...new Set(ids)];
    const first = await byIds<LicenceRecord>(this.licences, unique.flatMap((id) => [id, `${id}:ENDED`, stepId(id, 1)]));
    const read = new Set(first.map((r) => r._id));
    const changed = unique.filter((id) => read.has(stepId(id, 1)));
    const later = await Promise.all(changed.map((id) => readLog<LicenceRecord>(this.licences, (n) => stepId(id, n), 4, 2)));
    return foldLicences([...first, ...later.flat()]);
  }

  endingEvent(licence: Licence, ending: Pick<LicenceEndedDoc, 'ending' | 'reason' | 'endedAt'>): PlatformEvent {
    return newEvent('LicenceEnded', this.department.code, 'permit', {
      licenceId: licence.id,
      applicationId: licence.doc.applicationId,
      licenceType: licence.doc.typename,
      itemCode: licence.doc.itemCode,
      departmentCode: this.department.code,
      ending: ending.ending,
      reason: ending.reason,
      endedAt: ending.endedAt.toISOString(),
    }, `LicenceEnded:${licence.id}`);
  }

  /**
   * Claims the ending of a licence: the unique id `<licenceId>:ENDED` lets only
   * one ending happen, and the record carries the `LicenceEnded` event.
   * Returns null when the licence had already ended.
   */
  async claimEnding(licence: Licence, ending: Ending, reason: string, endedBy: string): Promise<LicenceEndedDoc | null> {
    const endedAt = new Date();
    const fields = { ending, reason, endedAt };
    const doc: LicenceEndedDoc = {
      _id: `${licence.id}:ENDED`,
      record: 'ENDED',
      licenceId: licence.id,
      ...fields,
      endedBy,
      ...outbox([this.endingEvent(licence, fields)]),
    };
    return (await insertPending(this.db, this.licences, doc)) ? doc : null;
  }

  /**
   * Appends a change to a licence's log (`<licenceId>#<n>`): two changes at
   * once both land, one after the other. A change carrying a cause id (a face
   * change) is recorded once however often its event comes.
   */
  async recordChange(change: Omit<LicenceChangeDoc, '_id' | 'seq'>): Promise<void> {
    await appendStep(
      async () => {
        const log = (await readLog(this.licences, (n) => stepId(change.licenceId, n))) as LicenceChangeDoc[];
        return { state: log, seq: log.length };
      },
      (log) => (priorOf(log, change.request) || (change.changeId && log.some((c) => c.changeId === change.changeId)) ? null : change),
      (step, seq) => insertOnce(this.licences, { ...step, _id: stepId(change.licenceId, seq), seq }),
    );
  }

  /** A face change reaches the application's licences here; the change id makes repeats harmless. */
  async applyFaceChange(applicationId: string, licenceIds: string[], changeId: string, holder: Partial<Omit<LicenceDoc['holder'], 'creditCode'>>, by: { role: string; subject: string }, reason: string): Promise<void> {
    const changes = Object.fromEntries(Object.entries(holder).filter(([, v]) => v !== undefined && v !== null));
    // Only this application's licences: a change names its own.
    for (const licence of [...(await this.licencesById(licenceIds)).values()].filter((l) => l.doc.applicationId === applicationId)) {
      await this.recordChange({ record: 'FACE_CHANGED', changeId, licenceId: licence.id, at: new Date(), byRole: by.role, by: by.subject, reason, changes: { holder: changes } });
    }
  }

  /** A licence whose end date has passed lapses (失效) without anyone acting. */
  async lapseExpired(today = beijingToday()): Promise<number> {
    // Candidates: an end date set at issue or by a later change that has passed; the fold says which still stand.
    // (A sweep over the collection: it runs once a Beijing day, see beforeSweep, never per request.)
    const byIssue = await this.licences.find({ record: 'LICENCE', validUntil: { $ne: null, $lt: today } }).project({ licenceId: 1 }).toArray();
    const byChange = await this.licences.find({ record: 'CHANGED', 'changes.validUntil': { $lt: today } }).project({ licenceId: 1 }).toArray();
    const ids = [...new Set([...byIssue, ...byChange].map((d) => d.licenceId as string))];
    if (!ids.length) return 0;
    let lapsed = 0;
    for (const licence of (await this.licencesById(ids)).values()) {
      if (licence.status !== 'VALID' || !licence.validUntil || licence.validUntil >= today) continue;
      if (await this.claimEnding(licence, 'LAPSED', `有效期于 ${licence.validUntil} 届满 / validity ended on ${licence.validUntil}`, SYSTEM)) lapsed++;
    }
    return lapsed;
  }

  // ── verifications ─────────────────────────────────────────────────────────

  /**
   * Records a verification's result: the unique id `<reviewId>:RESULT` lets one
   * result stand. A failed one annuls the licence (its completion claims the ending).
   */
  async recordVerification(task: VerificationTaskDoc, passed: boolean, notes: string, by: string): Promise<VerificationResultDoc | null> {
    const doc: VerificationResultDoc = {
      _id: `${task._id}:RESULT`,
      record: 'RESULT',
      taskId: task._id,
      licenceId: task.licenceId,
      passed,
      notes,
      recordedAt: new Date(),
      recordedBy: by,
      ...outbox([], { effects: !passed }),
    };
    if (!(await insertPending(this.db, this.verifications, doc))) return null;
    await this.completeVerification(doc);
    return doc;
  }

  /** A commitment found untrue: the licence granted on it is annulled (撤销), which voids the permit. */
  async completeVerification(result: VerificationResultDoc): Promise<void> {
    if (result.passed) return;
    const licence = await this.licence(result.licenceId);
    if (licence?.status === 'VALID') {
      await this.claimEnding(licence, 'ANNULLED', `告知承诺核查不实：${result.notes} / commitment found untrue`, result.recordedBy);
    }
  }

  async verificationTask(reviewId: string): Promise<{ task: VerificationTaskDoc; result?: VerificationResultDoc } | null> {
    const [task, result] = await Promise.all([byId(this.verifications, reviewId), byId(this.verifications, `${reviewId}:RESULT`)]);
    return task?.record === 'TASK' ? { task, result: (result as VerificationResultDoc | null) ?? undefined } : null;
  }

  /** Every verification task of the department, for its list (a sweep over the collection). */
  async verificationTasks(): Promise<{ task: VerificationTaskDoc; result?: VerificationResultDoc }[]> {
    const records = await this.verifications.find({}).toArray();
    const results = new Map(records.filter((r): r is VerificationResultDoc => r.record === 'RESULT').map((r) => [r.taskId, r]));
    return records.filter((r): r is VerificationTaskDoc => r.record === 'TASK').map((task) => ({ task, result: results.get(task._id) }));
  }

  /**
   * Lapses expired licences. Runs before each outbox sweep but sweeps the
   * licences only at start, on the first sweep of each Beijing day (end dates
   * pass at midnight) and every LAPSE_INTERVAL_MS besides: an idle platform
   * does not scan collections.
   */
  async beforeSweep(at = new Date()): Promise<void> {
    const now = at.getTime();
    const today = beijingDate(at);
    const last = lastLapseCheck.get(this.department.code);
    if (last && last.day === today && now - last.at < departmentConfig().LAPSE_INTERVAL_MS) return;
    lastLapseCheck.set(this.department.code, { at: now, day: today });
    await this.lapseExpired(today);
  }
}

const lastLapseCheck = new Map<string, { at: number; day: string }>();

/** Who acts when nobody does: a licence lapsing at its end date. */
export const SYSTEM = 'system';
/** Who approves on an applicant's commitment (告知承诺): the rule, at once, not a reviewer. */
export const COMMITMENT_SYSTEM = 'system:commitment';

/** Printed licence number: item code, Beijing date, and a short stable suffix. */
function licenceNumber(itemCode: string, date: Date, licenceId: string): string {
  return `${itemCode}-${compactDate(beijingDate(date))}-${licenceId.slice(4, 12).toUpperCase()}`;
}

export { foldLicence, foldReview };
