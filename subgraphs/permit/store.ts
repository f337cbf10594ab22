import { randomBytes } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import type { OutboxFields, OutboxSource } from '../../shared/events';
import { insertOnce } from '../../shared/records';
import type { DepartmentConfig } from '../../shared/registry';

/**
 * Permit data. Nothing is updated after it is written (shared/records.ts):
 * - `permit_requests`: what the permit will say, per decided application: the
 *   request from `ApplicationDecided` (id = application id) and each later change
 *   to it (an item decided again, a face change), each its own record;
 * - `permits`: one record per permit *version* (id `<applicationId>:v<n>`; inserting
 *   it is the claim that issues or re-issues, so two re-issues cannot both win),
 *   with its own code and signed QR, and one record per fact about a version:
 *   VOIDED, SUPERSEDED, RECALLED (id `<versionId>:<FACT>`, so each happens once).
 *   Every record carries the version's `code`, `permitId` and `applicationId`,
 *   so one query reads a version whole. A version's state is the fold of its
 *   records (`foldPermit`); per item it keeps only the licence's type and id,
 *   never its status, which only its department holds;
 * - `licence_endings`: each `LicenceEnded` received (the fact that voids a
 *   permit), so a licence that ended before its permit was issued stops the issue.
 */
export interface PermitItemDoc {
  itemCode: string;
  itemNameZh: string;
  itemNameEn: string;
  departmentCode: string;
  departmentNameZh: string;
  departmentNameEn: string;
  licenceType: string;
  licenceId: string | null;
  permitted: boolean;
  reasons: string[];
  /** Review round the outcome came from: a later round replaces an earlier one. */
  round?: number;
  remedy: DepartmentConfig['remedy'];
}

export interface Holder {
  companyName: string;
  creditCode: string;
  legalRepresentative: string | null;
  businessAddress: string | null;
}

export interface PermitRequestDoc {
  _id: string;
  record: 'REQUEST';
  applicationId: string;
  applicationNumber: string;
  industryCode: string;
  industryNameZh: string;
  industryNameEn: string;
  holder: Holder;
  items: PermitItemDoc[];
  receivedAt: Date;
}

/** A change of the request after the decision; id = the event that brought it. */
export type RequestChangeDoc = { _id: string; applicationId: string; at: Date } & (
  | { record: 'ITEM_OUTCOME'; item: PermitItemDoc }
  | { record: 'FACE'; n: number; changeId: string; holder: Partial<Holder> }
);

/** The request as it stands: later rounds replace items, face changes apply in order. */
export type PermitRequest = Omit<PermitRequestDoc, 'record'>;

export function foldRequest(doc: PermitRequestDoc, changes: RequestChangeDoc[]): PermitRequest {
  const request: PermitRequest = { ...doc, holder: { ...doc.holder }, items: [...doc.items] };
  for (const change of changes) {
    if (change.record !== 'ITEM_OUTCOME') continue;
    request.items = request.items.map((i) => (i.itemCode === change.item.itemCode && (i.round ?? 1) < (change.item.round ?? 1) ? change.item : i));
  }
  const faces = changes.filter((c): c is Extract<RequestChangeDoc, { record: 'FACE' }> => c.record === 'FACE').sort((a, b) => a.n - b.n);
  for (const face of faces) request.holder = { ...request.holder, ...face.holder };
  return request;
}

interface RecordCommon {
  _id: string;
  applicationId: string;
  permitId: string;
  code: string;
}

/** One version of a permit, as issued. */
export interface PermitVersionDoc extends RecordCommon, OutboxFields {
  record: 'VERSION';
  version: number;
  applicationNumber: string;
  industryCode: string;
  industryNameZh: string;
  industryNameEn: string;
  holder: Holder;
  items: PermitItemDoc[];
  issuedAt: Date;
  issuedBy: string;
  issuedByRole: string;
  reason?: string;
  /** GB/T 36904 electronic licence identifier of this version. */
  licenceIdentifier: string;
  qr: { generatedAt: number; kid: string; signature: string; type: string; issuer: string };
  /** Why this version exists: `ISSUE`, `ITEM_PERMITTED`, or `FACE_CHANGE:<changeId>`. */
  cause: string;
  supersedes?: string;
}

export interface VoidedDoc extends RecordCommon, OutboxFields {
  record: 'VOIDED';
  at: Date;
  reason: string;
  licenceId: string;
  departmentCode: string;
}

export interface SupersededDoc extends RecordCommon {
  record: 'SUPERSEDED';
  at: Date;
  supersededBy: string;
  newVersion: number;
  byRole: string;
  by: string;
}

export interface RecalledDoc extends RecordCommon {
  record: 'RECALLED';
  at: Date;
  byRole: string;
  by: string;
  note: string;
}

export type PermitRecord = PermitVersionDoc | VoidedDoc | SupersededDoc | RecalledDoc;

/** A version as its records say it stands now. */
export interface Permit {
  doc: PermitVersionDoc;
  id: string;
  status: 'VALID' | 'VOID' | 'SUPERSEDED';
  voided?: VoidedDoc;
  superseded?: SupersededDoc;
  recalled?: RecalledDoc;
}

export function foldPermit(doc: PermitVersionDoc, facts: PermitRecord[]): Permit {
  const mine = facts.filter((f) => f.permitId === doc._id);
  const voided = mine.find((f): f is VoidedDoc => f.record === 'VOIDED');
  const superseded = mine.find((f): f is SupersededDoc => f.record === 'SUPERSEDED');
  const recalled = mine.find((f): f is RecalledDoc => f.record === 'RECALLED');
  // Whichever ended the version first names its state.
  const status = voided && (!superseded || voided.at <= superseded.at) ? 'VOID' : superseded ? 'SUPERSEDED' : 'VALID';
  return { doc, id: doc._id, status, voided, superseded, recalled };
}

/** Folds many records (as one query returns them) into versions, newest first. */
export function foldPermits(records: PermitRecord[]): Permit[] {
  return records
    .filter((r): r is PermitVersionDoc => r.record === 'VERSION')
    .map((doc) => foldPermit(doc, records))
    .sort((a, b) => b.doc.version - a.doc.version);
}

export interface LicenceEndingDoc {
  _id: string;
  departmentCode: string;
  ending: string;
  reason: string;
  endedAt: Date;
}

export class PermitStore {
  readonly requests: mongo.Collection<PermitRequestDoc | RequestChangeDoc>;
  readonly permits: mongo.Collection<PermitRecord>;
  readonly endings: mongo.Collection<LicenceEndingDoc>;

  constructor(db: Connection) {
    this.requests = db.db!.collection('permit_requests');
    this.permits = db.db!.collection('permits');
    this.endings = db.db!.collection('licence_endings');
  }

  /** The collections whose documents carry events or effects: declared here, next to the writes that fill them. */
  outboxSources(): OutboxSource[] {
    return [{ collection: 'permits', complete: (doc) => this.completeRecord(doc as PermitRecord) }];
  }

  async prepare(): Promise<void> {
    // Every record of a version shares its code: the index is not unique (codes are random, 31^12).
    const indexes = await this.permits.indexes().catch(() => []);
    if (indexes.some((i) => i.name === 'code_1' && i.unique)) await this.permits.dropIndex('code_1');
    await this.permits.createIndex({ code: 1 });
    await this.permits.createIndex({ permitId: 1 });
    await this.permits.createIndex({ applicationId: 1 });
    await this.permits.createIndex({ 'items.licenceId': 1 });
    await this.permits.createIndex({ _pending: 1 });
    await this.requests.createIndex({ applicationId: 1 });
  }

  /** Permit code: 12 characters of an unambiguous alphabet (no 0/O, 1/I/L). */
  static newCode(): string {
    const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
    return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  }

  static versionId(applicationId: string, version: number): string {
    return `${applicationId}:v${version}`;
  }

  /** The version with this code, whole, in one query. */
  async byCode(code: string): Promise<Permit | null> {
    return foldPermits(await this.permits.find({ code }).toArray())[0] ?? null;
  }

  async byId(id: string): Promise<Permit | null> {
    return foldPermits(await this.permits.find({ permitId: id }).toArray())[0] ?? null;
  }

  /** Every version of an application's permit, newest first. */
  async versions(applicationId: string): Promise<{ permits: Permit[]; records: PermitRecord[] }> {
    const records = await this.permits.find({ applicationId }).toArray();
    return { permits: foldPermits(records), records };
  }

  /** The newest version of an application's permit, whatever its state. */
  async latest(applicationId: string): Promise<Permit | null> {
    return (await this.versions(applicationId)).permits[0] ?? null;
  }

  async request(applicationId: string): Promise<PermitRequest | null> {
    const records = await this.requests.find({ applicationId }).toArray();
    const doc = records.find((r): r is PermitRequestDoc => r.record === 'REQUEST');
    return doc ? foldRequest(doc, records.filter((r): r is RequestChangeDoc => r.record !== 'REQUEST')) : null;
  }

  /** A new version's effect besides its events: the version it replaces is marked superseded. Harmless to repeat. */
  async completeRecord(record: PermitRecord): Promise<void> {
    if (record.record !== 'VERSION' || !record.supersedes) return;
    const older = await this.permits.findOne({ _id: record.supersedes });
    if (!older) return;
    await insertOnce(this.permits, {
      _id: `${older._id}:SUPERSEDED`,
      record: 'SUPERSEDED',
      applicationId: older.applicationId,
      permitId: older._id,
      code: older.code,
      at: record.issuedAt,
      supersededBy: record._id,
      newVersion: record.version,
      byRole: record.issuedByRole,
      by: record.issuedBy,
    });
  }
}
