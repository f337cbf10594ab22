import type { OutboxFields } from '../events';
import type { RequestKey } from '../idempotency';
import type { Holder } from './review';

/**
 * A single-item licence as its records (collection `licences`), all carrying
 * `licenceId`, so one query reads a licence whole:
 * - the licence itself (id = licence id), written once when the approval is made;
 * - its ending (id `<licenceId>:ENDED`): the claim, so a licence ends once, carrying `LicenceEnded`;
 * - its changes (CHANGED, FACE_CHANGED), its log: `<licenceId>#<n>`.
 * No record is ever updated: the licence's current state is their fold
 * (`foldLicence`), and its accountability history is the same records in time order.
 */
export type LicenceStatus = 'VALID' | 'CANCELLED' | 'LAPSED' | 'WITHDRAWN' | 'ANNULLED' | 'REVOKED';
export type Ending = Exclude<LicenceStatus, 'VALID'>;

export interface LicenceDoc {
  _id: string;
  record: 'LICENCE';
  licenceId: string;
  typename: string;
  licenceNumber: string;
  itemCode: string;
  reviewId: string;
  applicationId: string;
  holder: Holder;
  details: Record<string, unknown>;
  issuedAt: Date;
  issuedBy: string;
  /** YYYY-MM-DD; null for a licence without a fixed term (长期). */
  validUntil: string | null;
}

export interface LicenceEndedDoc extends OutboxFields {
  _id: string;
  record: 'ENDED';
  licenceId: string;
  ending: Ending;
  reason: string;
  endedBy: string;
  endedAt: Date;
}

export interface LicenceChangeDoc {
  _id: string;
  seq: number;
  record: 'CHANGED' | 'FACE_CHANGED';
  licenceId: string;
  /** The cause (a face change's id) that makes the change happen once. */
  changeId?: string;
  at: Date;
  byRole: string;
  byDepartment?: string;
  by: string;
  reason: string;
  changes: { validUntil?: string; details?: Record<string, unknown>; holder?: Partial<Holder> };
  /** The caller's idempotency key and input, when the change was asked for with one. */
  request?: RequestKey;
}

export type LicenceRecord = LicenceDoc | LicenceEndedDoc | LicenceChangeDoc;

/** The licence as its records say it stands now. */
export interface Licence {
  doc: LicenceDoc;
  id: string;
  status: LicenceStatus;
  holder: Holder;
  details: Record<string, unknown>;
  validUntil: string | null;
  ended?: LicenceEndedDoc;
  changes: LicenceChangeDoc[];
}

export function foldLicence(doc: LicenceDoc, records: LicenceRecord[]): Licence {
  const changes = records.filter((r): r is LicenceChangeDoc => r.record === 'CHANGED' || r.record === 'FACE_CHANGED').sort((a, b) => a.seq - b.seq);
  const ended = records.find((r): r is LicenceEndedDoc => r.record === 'ENDED');
  const licence: Licence = { doc, id: doc._id, status: ended?.ending ?? 'VALID', holder: doc.holder, details: doc.details, validUntil: doc.validUntil, ended, changes };
  for (const change of changes) {
    if (change.changes.validUntil) licence.validUntil = change.changes.validUntil;
    if (change.changes.details) licence.details = { ...licence.details, ...change.changes.details };
    if (change.changes.holder) licence.holder = { ...licence.holder, ...change.changes.holder };
  }
  return licence;
}

/** Groups many licences' records (as one `$in` query returns them) into folded licences, by id. */
export function foldLicences(records: LicenceRecord[]): Map<string, Licence> {
  const byId = new Map<string, LicenceRecord[]>();
  for (const record of records) byId.set(record.licenceId, [...(byId.get(record.licenceId) ?? []), record]);
  const licences = new Map<string, Licence>();
  for (const [id, group] of byId) {
    const doc = group.find((r): r is LicenceDoc => r.record === 'LICENCE');
    if (doc) licences.set(id, foldLicence(doc, group));
  }
  return licences;
}

export interface LicenceHistoryEntry {
  at: Date;
  action: 'ISSUED' | 'CHANGED' | 'FACE_CHANGED' | 'ENDED';
  byRole: string;
  byDepartment?: string;
  by: string;
  reason?: string;
  changes?: Record<string, unknown>;
}

/** The licence's accountability history: its records in time order. */
export function licenceHistory(licence: Licence, departmentCode: string, systemActor: string): LicenceHistoryEntry[] {
  const entries: LicenceHistoryEntry[] = [
    { at: licence.doc.issuedAt, action: 'ISSUED', byRole: licence.doc.issuedBy.startsWith('system') ? 'SYSTEM' : 'REVIEWER', byDepartment: departmentCode, by: licence.doc.issuedBy },
    ...licence.changes.map((c) => ({ at: c.at, action: c.record, byRole: c.byRole, byDepartment: c.byDepartment, by: c.by, reason: c.reason, changes: c.changes as Record<string, unknown> })),
  ];
  if (licence.ended) {
    const e = licence.ended;
    entries.push({ at: e.endedAt, action: 'ENDED', byRole: e.endedBy === systemActor ? 'SYSTEM' : 'REVIEWER', byDepartment: departmentCode, by: e.endedBy, reason: `${e.ending}: ${e.reason}` });
  }
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
}
