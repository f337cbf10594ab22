import { randomBytes } from 'node:crypto';
import type { IndexDeclaration } from '../../shared/db';
import type { Connection, mongo } from 'mongoose';
import type { OutboxFields, OutboxSource } from '../../shared/events';
import { byId, byIds, insertOnce, readLog, stepId } from '../../shared/records';
import type { DepartmentDefinition } from '../../shared/registry';

/**
 * Permit data. Nothing is updated after it is written (shared/records.ts):
 * - `permit_requests`: what the permit will say, per decided application: the
 *   request from `ApplicationDecided` (id = application id) and the log of later
 *   changes to it (an item decided again, a face change; `<applicationId>#<n>`);
 * - `permits`: one record per permit *version* (id `<applicationId>:v<n>`; inserting
 *   it is the claim that issues or re-issues, so two re-issues cannot both win),
 *   with its own code and signed QR, and one record per fact about a version:
 *   VOIDED, SUPERSEDED, RECALLED (id `<versionId>:<FACT>`, so each happens once).
 *   A version's state is the fold of its records (`foldPermit`), all read by
 *   id; per item it keeps only the licence's type and id, never its status,
 *   which only its department holds;
 * - `permit_codes`: each version's code (id) → the version, written before the
 *   version, so a scan finds its permit by id;
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
  remedy: DepartmentDefinition['remedy'];
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

/** A change of the request after the decision, in its log; `eventId` (the event that brought it) makes it once. */
export type RequestChangeDoc = { _id: string; seq: number; eventId: string; applicationId: string; at: Date } & (
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
  /** The QR's images, rendered once when the version is issued (never per request). */
  qrImages?: { svg: string; pngBase64: string };
  /** Why this version exists: `ISSUE`, `ITEM_PERMITTED`, or `FACE_CHANGE:<changeId>`. */
  cause: string;
  supersedes?: string;
}

export interface VoidedDoc extends RecordCommon, OutboxFields {
  record: 'VOIDED';
  at: Date;
  /** The full reason, with the department's own words (holder and bureau). */
  reason: string;
  /** How the licence ended (REVOKED, LAPSED, …): what the public is told, with the item and department. */
  ending?: string;
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
  /** The application whose permit lists the licence. */
  applicationId: string;
  departmentCode: string;
  ending: string;
  reason: string;
  endedAt: Date;
}

export interface PermitCodeDoc {
  _id: string;
  permitId: string;
  applicationId: string;
}

const FACTS = ['VOIDED', 'SUPERSEDED', 'RECALLED'] as const;

export class PermitStore {
  readonly db: mongo.Db;
  readonly requests: mongo.Collection<PermitRequestDoc | RequestChangeDoc>;
  readonly permits: mongo.Collection<PermitRecord>;
  readonly codes: mongo.Collection<PermitCodeDoc>;
  readonly endings: mongo.Collection<LicenceEndingDoc>;

  constructor(db: Connection) {
    this.db = db.db!;
    this.requests = db.db!.collection('permit_requests');
    this.permits = db.db!.collection('permits');
    this.codes = db.db!.collection('permit_codes');
    this.endings = db.db!.collection('licence_endings');
  }

  /** The collections whose documents carry events or effects: declared here, next to the writes that fill them. */
  outboxSources(): OutboxSource[] {
    return [{ collection: 'permits', complete: (doc) => this.completeRecord(doc as PermitRecord) }];
  }

  /** Made and checked at start (`ensureIndexes`): a scan reads by id; the others serve the bureau's lists. */
  static readonly indexes: readonly IndexDeclaration[] = [
    { collection: 'permit_codes', keys: { _id: 1 }, serves: 'a scan: the code names its version' },
    { collection: 'permits', keys: { _id: 1 }, serves: 'a scan: the version and the facts about it' },
    { collection: 'permit_requests', keys: { _id: 1 }, serves: 'what a permit says now: the request and its changes' },
    { collection: 'licence_endings', keys: { _id: 1 }, serves: 'the endings of a permit\'s licences' },
    { collection: 'permit_requests', keys: { record: 1, receivedAt: 1 }, serves: 'the bureau\'s queue of requests, oldest first' },
    { collection: 'permit_codes', keys: { applicationId: 1 }, serves: 'which queued requests have a permit already' },
  ];

  /** Permit code: 12 characters of an unambiguous alphabet (no 0/O, 1/I/L). */
  static newCode(): string {
    const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
    return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  }

  static versionId(applicationId: string, version: number): string {
    return `${applicationId}:v${version}`;
  }

  /** A version and the facts about it, read by id in one query. */
  async byId(id: string): Promise<Permit | null> {
    const [doc, ...facts] = await byIds(this.permits, [id, ...FACTS.map((f) => `${id}:${f}`)]);
    return doc?._id === id && doc.record === 'VERSION' ? foldPermit(doc, facts) : null;
  }

  /** The version with this code: its code record, then the version. */
  async byCode(code: string): Promise<Permit | null> {
    const alias = await byId(this.codes, code);
    const permit = alias ? await this.byId(alias.permitId) : null;
    // A code whose version lost its claim (another issue took the number) names no permit.
    return permit?.doc.code === code ? permit : null;
  }

  /** Every version of an application's permit, newest first, and all their records. */
  async versions(applicationId: string): Promise<{ permits: Permit[]; records: PermitRecord[] }> {
    const docs = (await readLog(this.permits, (n) => PermitStore.versionId(applicationId, n))) as PermitVersionDoc[];
    const facts = await byIds(this.permits, docs.flatMap((d) => FACTS.map((f) => `${d._id}:${f}`)));
    const records = [...docs, ...facts];
    return { permits: foldPermits(records), records };
  }

  /** The newest version of an application's permit, whatever its state. */
  async latest(applicationId: string): Promise<Permit | null> {
    return (await this.versions(applicationId)).permits[0] ?? null;
  }

  /** What the permit says now: the request and its changes, read by id. */
  async request(applicationId: string): Promise<PermitRequest | null> {
    const [doc, changes] = await Promise.all([byId(this.requests, applicationId), readLog(this.requests, (n) => stepId(applicationId, n))]);
    return doc?.record === 'REQUEST' ? foldRequest(doc, changes as RequestChangeDoc[]) : null;
  }

  /** The endings recorded for any of these licences. */
  async endingsOf(licenceIds: string[]): Promise<LicenceEndingDoc[]> {
    return byIds(this.endings, licenceIds);
  }

  /** A new version's effect besides its events: the version it replaces is marked superseded. Harmless to repeat. */
  async completeRecord(record: PermitRecord): Promise<void> {
    if (record.record !== 'VERSION' || !record.supersedes) return;
    const older = await byId(this.permits, record.supersedes);
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
