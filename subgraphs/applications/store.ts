import { randomBytes, randomUUID } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import type { Answers } from '../../shared/catalogue';
import type { PlatformEvent } from '../../shared/events';

/**
 * The bureau's application data:
 * - `applications`: the record of one application, whatever the channel;
 * - `acceptances`: one per accepted application, inserted once (unique id) by
 *   the clerk who accepts; it carries one `ItemDispatched` per item and is then
 *   applied to the application (re-applied by the sweep after a crash);
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
export type ApplicationStatus = 'SUBMITTED' | 'ACCEPTED' | 'DECIDED';

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
}

export interface AcceptanceDoc {
  _id: string;
  acceptedAt: Date;
  acceptedBy: string;
  applied: boolean;
  _outbox: PlatformEvent[];
}

export interface ItemOutcomeDoc {
  _id: string;
  applicationId: string;
  itemCode: string;
  round: number;
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
  readonly acceptances: mongo.Collection<AcceptanceDoc>;
  readonly resubmissions: mongo.Collection<ResubmissionDoc>;
  readonly faceChanges: mongo.Collection<FaceChangeDoc>;

  constructor(db: Connection) {
    this.applications = db.db!.collection('applications');
    this.acceptances = db.db!.collection('acceptances');
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

  /** Completes a claimed acceptance. Safe to repeat. */
  async applyAcceptance(acceptance: AcceptanceDoc): Promise<void> {
    await this.applications.updateOne(
      { _id: acceptance._id },
      { $set: { status: 'ACCEPTED', acceptedAt: acceptance.acceptedAt, acceptedBy: acceptance.acceptedBy } },
    );
    await this.acceptances.updateOne({ _id: acceptance._id }, { $set: { applied: true } });
  }

  /** Finishes acceptances a crash left half-done; runs before each outbox sweep. */
  async repair(): Promise<void> {
    const staleBefore = new Date(Date.now() - 2000);
    for (const acceptance of await this.acceptances.find({ applied: false, acceptedAt: { $lt: staleBefore } }).toArray()) {
      await this.applyAcceptance(acceptance);
    }
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
