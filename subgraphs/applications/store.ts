import { randomBytes, randomUUID } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import type { Answers } from '../../shared/catalogue';
import type { PlatformEvent } from '../../shared/events';

/**
 * The bureau's application data:
 * - `applications`: the record of one application, whatever the channel;
 * - `intake_decisions`: the window's intake check, one per stage (id
 *   `<applicationId>#<stage>`; stage 2 follows a supplement notice): ACCEPT (carrying one
 *   `ItemDispatched` per item), SUPPLEMENT (the one-time supplement notice) or
 *   REFUSE. Inserting it is the claim, so two clerks cannot decide one stage
 *   twice; it is then applied to the application (again by the sweep after a crash);
 * - `supplements`, `withdrawals`: the applicant's one supplement and withdrawal
 *   (id = application id), claimed and applied the same way;
 * - `application_materials` / `material_files`: materials attached (hash, size,
 *   type; uploaded, held already, or omitted under commitment) and the uploaded
 *   bytes, stored once per SHA-256;
 * - `item_clocks`: per dispatched item, the pauses of its clock (correction requests);
 * - `notifications`: what the applicant is told, each carrying its send in `_outbox`;
 * - `item_outcomes`: one per decided item and round (id
 *   `<applicationId>:<itemCode>#<round>`), written from the department's
 *   `ItemDecided` event. Kept apart from the application so concurrent
 *   decisions never overwrite each other (FerretDB's conditional updates are
 *   not atomic). A later round's outcome carries `ItemOutcomeChanged` for the permit;
 * - `resubmissions`: a denied item handed in again (id `<applicationId>:<itemCode>#<round>`,
 *   the claim), carrying the new round's `ItemDispatched`;
 * - `face_changes`: change applications for the permit's face (name, legal
 *   representative, address), id `<applicationId>#<n>`, carrying the events
 *   that change the departments' licences and re-issue the permit;
 * - `decision_summaries`: one per fully decided application, inserted once
 *   (unique id) and carrying the `ApplicationDecided` event for the permit subgraph.
 */
export type ApplicationStatus = 'SUBMITTED' | 'SUPPLEMENT_REQUESTED' | 'ACCEPTED' | 'DECIDED' | 'REFUSED' | 'WITHDRAWN';

export interface SupplementProblem {
  /** A material code, a form field key, or `other`. */
  target: string;
  kind: 'MATERIAL' | 'FIELD' | 'OTHER';
  messageZh: string;
  messageEn: string;
}

export interface ApplicationItemDoc {
  itemCode: string;
  departmentCode: string;
}

export interface ApplicationDoc {
  _id: string;
  number: string;
  industryCode: string;
  /** The catalogue edition the application was made under (pinned). */
  edition: string;
  channel: 'ONLINE' | 'WINDOW';
  submittedBy: string;
  submittedByClerk?: string;
  status: ApplicationStatus;
  creditCode: string;
  holderName: string;
  answers: Answers;
  values: Record<string, unknown>;
  items: ApplicationItemDoc[];
  submittedAt: Date;
  acceptedAt?: Date;
  acceptedBy?: string;
  /** Items the applicant commits on (告知承诺) instead of some materials. */
  commitments: string[];
  supplementNotice?: { noticedAt: Date; deadline: string; by: string; problems: SupplementProblem[] };
  supplementedAt?: Date;
  refusal?: { at: Date; by: string; reasons: string[] };
  withdrawal?: { at: Date; by: string; reason: string };
}

export type IntakeKind = 'ACCEPT' | 'SUPPLEMENT' | 'REFUSE';

export interface IntakeDecisionDoc {
  _id: string;
  applicationId: string;
  kind: IntakeKind;
  at: Date;
  by: string;
  reasons?: string[];
  notice?: ApplicationDoc['supplementNotice'];
  applied: boolean;
  _outbox: PlatformEvent[];
}

export interface SupplementDoc {
  _id: string;
  at: Date;
  by: string;
  values: Record<string, unknown>;
  applied: boolean;
}

export interface WithdrawalDoc {
  _id: string;
  at: Date;
  by: string;
  reason: string;
  applied: boolean;
  _outbox: PlatformEvent[];
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

export interface MaterialFileDoc {
  _id: string;
  data: Buffer;
  size: number;
  mediaType: string;
}

export interface ItemClockDoc {
  _id: string;
  applicationId: string;
  itemCode: string;
  /** Inclusive date ranges (YYYY-MM-DD) the clock stood still; an open pause has no `to`. */
  pauses: { from: string; to: string | null; eventId: string }[];
}

export interface NotificationDoc {
  _id: string;
  applicationId: string;
  creditCode: string;
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  at: Date;
  /** Whether a sender is configured; sent once its outbox is empty. */
  viaSender: boolean;
  _outbox: PlatformEvent[];
}


export interface ItemOutcomeDoc {
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

export interface ResubmissionDoc {
  _id: string;
  applicationId: string;
  itemCode: string;
  round: number;
  values: Record<string, unknown>;
  submittedAt: Date;
  submittedBy: string;
  _outbox: PlatformEvent[];
}

export interface FaceChangeDoc {
  _id: string;
  applicationId: string;
  changes: { companyName?: string; legalRepresentative?: string; businessAddress?: string };
  reason: string;
  submittedAt: Date;
  submittedBy: { role: string; subject: string };
  _outbox: PlatformEvent[];
}

export interface DecisionSummaryDoc {
  _id: string;
  decidedAt: Date;
  _outbox: PlatformEvent[];
}

export class ApplicationStore {
  readonly applications: mongo.Collection<ApplicationDoc>;
  readonly outcomes: mongo.Collection<ItemOutcomeDoc>;
  readonly summaries: mongo.Collection<DecisionSummaryDoc>;
  readonly intake: mongo.Collection<IntakeDecisionDoc>;
  readonly supplements: mongo.Collection<SupplementDoc>;
  readonly withdrawals: mongo.Collection<WithdrawalDoc>;
  readonly materials: mongo.Collection<MaterialDoc>;
  readonly files: mongo.Collection<MaterialFileDoc>;
  readonly clocks: mongo.Collection<ItemClockDoc>;
  readonly notifications: mongo.Collection<NotificationDoc>;
  readonly correctionReplies: mongo.Collection<{ _id: string; applicationId: string; itemCode: string; at: Date; by: string; _outbox: PlatformEvent[] }>;
  readonly resubmissions: mongo.Collection<ResubmissionDoc>;
  readonly faceChanges: mongo.Collection<FaceChangeDoc>;

  constructor(db: Connection) {
    this.applications = db.db!.collection('applications');
    this.intake = db.db!.collection('intake_decisions');
    this.supplements = db.db!.collection('supplements');
    this.withdrawals = db.db!.collection('withdrawals');
    this.materials = db.db!.collection('application_materials');
    this.files = db.db!.collection('material_files');
    this.clocks = db.db!.collection('item_clocks');
    this.notifications = db.db!.collection('notifications');
    this.correctionReplies = db.db!.collection('correction_replies');
    this.resubmissions = db.db!.collection('resubmissions');
    this.faceChanges = db.db!.collection('face_changes');
    this.outcomes = db.db!.collection('item_outcomes');
    this.summaries = db.db!.collection('decision_summaries');
  }

  async prepare(): Promise<void> {
    await this.applications.createIndex({ number: 1 }, { unique: true });
    await this.applications.createIndex({ creditCode: 1 });
    await this.outcomes.createIndex({ applicationId: 1 });
  }

  static newId(): string {
    return randomUUID();
  }

  /** Human-readable number: SY-<date>-<6 random chars>, unique by index. */
  static newNumber(now = new Date()): string {
    const day = now.toISOString().slice(0, 10).replace(/-/g, '');
    return `SY-${day}-${randomBytes(4).toString('hex').slice(0, 6).toUpperCase()}`;
  }

  /** Completes a claimed intake decision. Safe to repeat. */
  async applyIntake(decision: IntakeDecisionDoc): Promise<void> {
    const set: Partial<ApplicationDoc> =
      decision.kind === 'ACCEPT'
        ? { status: 'ACCEPTED', acceptedAt: decision.at, acceptedBy: decision.by }
        : decision.kind === 'SUPPLEMENT'
          ? { status: 'SUPPLEMENT_REQUESTED', supplementNotice: decision.notice }
          : { status: 'REFUSED', refusal: { at: decision.at, by: decision.by, reasons: decision.reasons ?? [] } };
    // A withdrawal that won a race stays a withdrawal.
    await this.applications.updateOne({ _id: decision.applicationId, status: { $ne: 'WITHDRAWN' } }, { $set: set });
    await this.intake.updateOne({ _id: decision._id }, { $set: { applied: true } });
  }

  async applySupplement(supplement: SupplementDoc): Promise<void> {
    const values = Object.fromEntries(Object.entries(supplement.values).map(([k, v]) => [`values.${k}`, v]));
    await this.applications.updateOne({ _id: supplement._id }, { $set: { ...values, status: 'SUBMITTED', supplementedAt: supplement.at } });
    await this.supplements.updateOne({ _id: supplement._id }, { $set: { applied: true } });
  }

  async applyWithdrawal(withdrawal: WithdrawalDoc): Promise<void> {
    await this.applications.updateOne(
      { _id: withdrawal._id },
      { $set: { status: 'WITHDRAWN', withdrawal: { at: withdrawal.at, by: withdrawal.by, reason: withdrawal.reason } } },
    );
    await this.withdrawals.updateOne({ _id: withdrawal._id }, { $set: { applied: true } });
  }

  /** Finishes claims a crash left half-done; runs before each outbox sweep. */
  async repair(): Promise<void> {
    const staleBefore = new Date(Date.now() - 2000);
    for (const decision of await this.intake.find({ applied: false, at: { $lt: staleBefore } }).toArray()) await this.applyIntake(decision);
    for (const supplement of await this.supplements.find({ applied: false, at: { $lt: staleBefore } }).toArray()) await this.applySupplement(supplement);
    for (const withdrawal of await this.withdrawals.find({ applied: false, at: { $lt: staleBefore } }).toArray()) await this.applyWithdrawal(withdrawal);
  }

  /**
   * The intake stage an application is at: 1 until a supplement notice (which
   * is stage 1's decision), 2 after it, when the clerk accepts or refuses.
   */
  static intakeStage(app: ApplicationDoc): number {
    return app.supplementNotice ? 2 : 1;
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
