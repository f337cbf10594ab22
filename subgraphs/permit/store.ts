import { randomBytes } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import type { PlatformEvent } from '../../shared/events';
import type { DepartmentConfig } from '../../shared/registry';

/**
 * Permit data:
 * - `permit_requests`: one per decided application (from `ApplicationDecided`),
 *   kept current by later item outcomes (`ItemOutcomeChanged`) and face changes;
 * - `permits`: one document per permit *version*, id `<applicationId>:v<n>`, each
 *   with its own code and signed QR; inserting the next version is the claim
 *   that re-issues (two re-issues cannot both win). Face information and, per
 *   item, the licence's type and id: never a licence's status, which only its
 *   department holds. Its `_outbox` carries pushes to the city e-licence library.
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
  applicationNumber: string;
  industryCode: string;
  industryNameZh: string;
  industryNameEn: string;
  holder: Holder;
  items: PermitItemDoc[];
  receivedAt: Date;
}

/** Who did what, when and why: the permit's append-only accountability record. */
export interface HistoryEntry {
  at: Date;
  action: 'ISSUED' | 'REISSUED' | 'SUPERSEDED' | 'VOIDED' | 'RECALLED';
  version: number;
  byRole: string;
  byDepartment?: string;
  by: string;
  reason?: string;
}

export interface PermitDoc {
  _id: string;
  code: string;
  version: number;
  applicationId: string;
  applicationNumber: string;
  industryCode: string;
  industryNameZh: string;
  industryNameEn: string;
  holder: Holder;
  items: PermitItemDoc[];
  status: 'VALID' | 'VOID' | 'SUPERSEDED';
  issuedAt: Date;
  issuedBy: string;
  /** GB/T 36904 electronic licence identifier of this version. */
  licenceIdentifier: string;
  qr: { generatedAt: number; kid: string; signature: string; type: string; issuer: string };
  /** Why this version exists: `ISSUE`, `ITEM_PERMITTED`, or `FACE_CHANGE:<changeId>`. */
  cause: string;
  supersedes?: string;
  supersededBy?: string;
  voidedAt?: Date;
  voidReason?: string;
  voidedByLicenceId?: string;
  recalledAt?: Date;
  recalledBy?: string;
  /** A noted item has since been permitted: the bureau should re-issue. */
  reissueDue?: boolean;
  history: HistoryEntry[];
  _outbox: PlatformEvent[];
}

export interface LicenceEndingDoc {
  _id: string;
  departmentCode: string;
  ending: string;
  reason: string;
  endedAt: Date;
}

export class PermitStore {
  readonly requests: mongo.Collection<PermitRequestDoc>;
  readonly permits: mongo.Collection<PermitDoc>;
  readonly endings: mongo.Collection<LicenceEndingDoc>;

  constructor(db: Connection) {
    this.requests = db.db!.collection('permit_requests');
    this.permits = db.db!.collection('permits');
    this.endings = db.db!.collection('licence_endings');
  }

  async prepare(): Promise<void> {
    await this.permits.createIndex({ code: 1 }, { unique: true });
    await this.permits.createIndex({ applicationId: 1, version: 1 });
    await this.permits.createIndex({ 'items.licenceId': 1 });
  }

  /** Permit code: 12 characters of an unambiguous alphabet (no 0/O, 1/I/L). */
  static newCode(): string {
    const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
    return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  }

  static versionId(applicationId: string, version: number): string {
    return `${applicationId}:v${version}`;
  }

  /** The newest version of an application's permit, whatever its state. */
  async latest(applicationId: string): Promise<PermitDoc | null> {
    const [doc] = await this.permits.find({ applicationId }).sort({ version: -1 }).limit(1).toArray();
    return doc ?? null;
  }

  /**
   * A re-issue inserts the new version, then marks the old one superseded; if
   * a crash came in between, this finishes it (run before each outbox sweep).
   */
  async repair(): Promise<void> {
    for (const newer of await this.permits.find({ supersedes: { $exists: true }, status: { $ne: 'SUPERSEDED' } }).toArray()) {
      const older = await this.permits.findOne({ _id: newer.supersedes!, status: { $ne: 'SUPERSEDED' } });
      if (older) await this.markSuperseded(older, newer);
    }
  }

  async markSuperseded(older: PermitDoc, newer: PermitDoc): Promise<void> {
    // Superseded by whoever re-issued (the last entry of the new version's record).
    const reissue = newer.history[newer.history.length - 1];
    await this.permits.updateOne(
      { _id: older._id, status: { $ne: 'SUPERSEDED' } },
      {
        $set: { status: 'SUPERSEDED', supersededBy: newer._id, reissueDue: false },
        $push: {
          history: { at: new Date(), action: 'SUPERSEDED', version: older.version, byRole: reissue.byRole, by: reissue.by, reason: `第 ${newer.version} 版已换发 / replaced by version ${newer.version}` },
        },
      },
    );
  }
}
