import { randomBytes, randomUUID } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { platformError } from '../../shared/errors';
import type { OutboxSource } from '../../shared/events';
import { appendStep, insertOnce, LostRaceError, stepId } from '../../shared/records';
import { beijingDate } from '../../shared/working-days';
import {
  foldApplication,
  type Application,
  type ApplicationDoc,
  type ApplicationStep,
  type CorrectionNoticeDoc,
  type CorrectionReplyDoc,
  type FaceChangeDoc,
  type ItemOutcomeDoc,
  type MaterialDoc,
  type NewApplicationStep,
  type ResubmissionDoc,
  type WithdrawalAnswerDoc,
} from './application';
import { notify, type NotificationDoc } from './notifications';

/**
 * The bureau's application data. Nothing here is updated after it is written
 * (shared/records.ts); what an application is now is the fold of its records
 * (application.ts):
 * - `applications`: the submission; `application_steps`: its life, one step each;
 * - `item_outcomes`: one per decided item and round (id `<applicationId>:<itemCode>#<round>`),
 *   from the department's `ItemDecided`; a later round carries `ItemOutcomeChanged` for the permit;
 * - `withdrawal_answers`: the departments holding their reviews for a withdrawal;
 * - `resubmissions`: a denied item handed in again (id `<applicationId>:<itemCode>#<round>`), the claim;
 * - `face_changes`: change applications for the permit's face (id `<applicationId>#<n>`);
 * - `correction_notices` / `correction_replies`: a department's correction request and the
 *   applicant's reply (same id), which stop and restart the item's clock;
 * - `application_materials` / `material_files`: each attachment (the latest per material
 *   counts until acceptance fixes them) and the uploaded bytes, once per SHA-256;
 * - `notifications`: what the applicant is told, each carrying its send.
 */
export class ApplicationStore {
  readonly applications: mongo.Collection<ApplicationDoc>;
  readonly steps: mongo.Collection<ApplicationStep>;
  readonly outcomes: mongo.Collection<ItemOutcomeDoc>;
  readonly withdrawalAnswers: mongo.Collection<WithdrawalAnswerDoc>;
  readonly resubmissions: mongo.Collection<ResubmissionDoc>;
  readonly faceChanges: mongo.Collection<FaceChangeDoc>;
  readonly correctionNotices: mongo.Collection<CorrectionNoticeDoc>;
  readonly correctionReplies: mongo.Collection<CorrectionReplyDoc>;
  readonly materials: mongo.Collection<MaterialDoc>;
  readonly files: mongo.Collection<{ _id: string; data: Buffer; size: number; mediaType: string }>;
  readonly notifications: mongo.Collection<NotificationDoc>;

  constructor(db: Connection) {
    this.applications = db.db!.collection('applications');
    this.steps = db.db!.collection('application_steps');
    this.outcomes = db.db!.collection('item_outcomes');
    this.withdrawalAnswers = db.db!.collection('withdrawal_answers');
    this.resubmissions = db.db!.collection('resubmissions');
    this.faceChanges = db.db!.collection('face_changes');
    this.correctionNotices = db.db!.collection('correction_notices');
    this.correctionReplies = db.db!.collection('correction_replies');
    this.materials = db.db!.collection('application_materials');
    this.files = db.db!.collection('material_files');
    this.notifications = db.db!.collection('notifications');
  }

  /** The collections whose documents carry events or effects: declared here, next to the writes that fill them. */
  outboxSources(): OutboxSource[] {
    return [
      { collection: 'application_steps', complete: (doc) => this.completeStep(doc as ApplicationStep) },
      { collection: 'item_outcomes' },
      { collection: 'resubmissions' },
      { collection: 'face_changes' },
      { collection: 'correction_replies' },
      { collection: 'notifications' },
      { collection: 'calendar_schedules' },
    ];
  }

  async prepare(): Promise<void> {
    await this.applications.createIndex({ number: 1 }, { unique: true });
    await this.applications.createIndex({ creditCode: 1 });
    for (const collection of [this.steps, this.outcomes, this.withdrawalAnswers, this.resubmissions, this.faceChanges, this.correctionNotices, this.correctionReplies, this.materials]) {
      await collection.createIndex({ applicationId: 1 });
    }
    for (const collection of [this.steps, this.outcomes, this.resubmissions, this.faceChanges, this.correctionReplies, this.notifications]) await collection.createIndex({ _pending: 1 });
  }

  static newId(): string {
    return randomUUID();
  }

  /** Human-readable number: SY-<Beijing date>-<6 random chars>, unique by index. */
  static newNumber(now = new Date()): string {
    return `SY-${beijingDate(now).replace(/-/g, '')}-${randomBytes(4).toString('hex').slice(0, 6).toUpperCase()}`;
  }

  async load(id: string): Promise<Application | null> {
    const doc = await this.applications.findOne({ _id: id });
    return doc ? (await this.fold([doc]))[0] : null;
  }

  /** Applications matching a filter on the submission, folded. */
  async loadMany(filter: mongo.Filter<ApplicationDoc>, options: { sort?: mongo.Sort; limit?: number } = {}): Promise<Application[]> {
    let cursor = this.applications.find(filter);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.limit) cursor = cursor.limit(options.limit);
    return this.fold(await cursor.toArray());
  }

  private async fold(docs: ApplicationDoc[]): Promise<Application[]> {
    if (!docs.length) return [];
    const ids = docs.map((d) => d._id);
    const query = { applicationId: { $in: ids } };
    const [steps, corrections, faceChanges] = await Promise.all([
      this.steps.find(query).toArray(),
      this.correctionReplies.find(query).toArray(),
      this.faceChanges.find(query).toArray(),
    ]);
    const by = <T extends { applicationId: string }>(list: T[], id: string) => list.filter((x) => x.applicationId === id);
    return docs.map((doc) => foldApplication(doc, by(steps, doc._id), by(corrections, doc._id), by(faceChanges, doc._id)));
  }

  /**
   * Appends one step to an application's log, decided on its current state and
   * the items' outcomes (see `appendStep`). Returns the application after it.
   */
  async appendApplicationStep(
    id: string,
    decide: (current: { app: Application; outcomes: ItemOutcomeDoc[]; answers: WithdrawalAnswerDoc[] }, nextStepId: string) => NewApplicationStep | null | Promise<NewApplicationStep | null>,
  ): Promise<{ app: Application; step: ApplicationStep | null }> {
    let appended: ApplicationStep | null = null;
    try {
      await appendStep(
        async () => {
          const app = await this.load(id);
          if (!app) throw new Error(`no application ${id}`);
          const [outcomes, answers] = await Promise.all([this.latestOutcomes(id), this.withdrawalAnswers.find({ applicationId: id }).toArray()]);
          return { state: { app, outcomes, answers }, seq: app.seq };
        },
        (current, seq) => decide(current, stepId(id, seq + 1)),
        async (step, seq) => {
          const doc = { ...step, _id: stepId(id, seq), applicationId: id, seq } as ApplicationStep;
          const won = await insertOnce(this.steps, doc);
          if (won) appended = doc;
          return won;
        },
      );
    } catch (error) {
      if (error instanceof LostRaceError) {
        throw platformError('CONFLICT', '该申请正被同时办理，请刷新后重试', 'This application is being handled by someone else at the same moment; reload and try again', { field: 'applicationId' });
      }
      throw error;
    }
    if (appended) await this.completeStep(appended);
    return { app: (await this.load(id))!, step: appended };
  }

  /** A step's effects besides its events: the applicant's notification. Harmless to repeat. */
  async completeStep(step: ApplicationStep): Promise<void> {
    if (step.notification) await notify(this, { _id: step.applicationId, creditCode: step.notification.creditCode }, step.notification.text, step.notification.key);
  }

  /** Each item's latest outcome (highest round). */
  async latestOutcomes(applicationId: string): Promise<ItemOutcomeDoc[]> {
    return (await this.outcomesFor([applicationId])).get(applicationId)!;
  }

  /** Each item's latest outcome (highest round), by application. */
  async outcomesFor(applicationIds: readonly string[]): Promise<Map<string, ItemOutcomeDoc[]>> {
    const docs = await this.outcomes.find({ applicationId: { $in: [...applicationIds] } }).toArray();
    return latestPerItem(applicationIds, docs);
  }

  /** Each item's latest resubmission, by application. */
  async resubmissionsFor(applicationIds: readonly string[]): Promise<Map<string, ResubmissionDoc[]>> {
    const docs = await this.resubmissions.find({ applicationId: { $in: [...applicationIds] } }).toArray();
    return latestPerItem(applicationIds, docs);
  }

  /** The latest attachment of each material (until acceptance fixes them). */
  async currentMaterials(applicationId: string): Promise<MaterialDoc[]> {
    const latest = new Map<string, MaterialDoc>();
    for (const doc of await this.materials.find({ applicationId }).toArray()) {
      const known = latest.get(doc.materialCode);
      if (!known || known.attachedAt <= doc.attachedAt) latest.set(doc.materialCode, doc);
    }
    return [...latest.values()];
  }

  /** Each item's clock pauses: a correction request stops it, the applicant's reply restarts it. */
  async pausesFor(applicationIds: readonly string[]): Promise<Map<string, { from: string; to: string | null; correctionId: string }[]>> {
    const query = { applicationId: { $in: [...applicationIds] } };
    const [notices, replies] = await Promise.all([this.correctionNotices.find(query).toArray(), this.correctionReplies.find(query).toArray()]);
    const replied = new Map(replies.map((r) => [r._id, r.to]));
    const pauses = new Map<string, { from: string; to: string | null; correctionId: string }[]>();
    for (const notice of notices.sort((a, b) => a.from.localeCompare(b.from))) {
      const key = `${notice.applicationId}:${notice.itemCode}`;
      pauses.set(key, [...(pauses.get(key) ?? []), { from: notice.from, to: replied.get(notice._id) ?? null, correctionId: notice._id }]);
    }
    return pauses;
  }
}

function latestPerItem<T extends { applicationId: string; itemCode: string; round: number }>(applicationIds: readonly string[], docs: T[]): Map<string, T[]> {
  const latest = new Map<string, T>();
  for (const doc of docs) {
    const key = `${doc.applicationId}:${doc.itemCode}`;
    if ((latest.get(key)?.round ?? 0) < doc.round) latest.set(key, doc);
  }
  const byApp = new Map<string, T[]>(applicationIds.map((id) => [id, []]));
  for (const doc of latest.values()) byApp.get(doc.applicationId)?.push(doc);
  return byApp;
}
