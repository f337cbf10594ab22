import { randomBytes } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import type { DepartmentConfig } from '../../shared/registry';

/**
 * Permit data: `permit_requests` (one per decided application, from the
 * `ApplicationDecided` event) and `permits` (one document per permit version;
 * id `<applicationId>:v<version>`, so issuing twice collides on the unique id).
 * A permit keeps face information and, per item, the licence's type and id:
 * never the licence's status, which only its department holds.
 * `licence_endings` records each `LicenceEnded` event received (the fact that
 * voids a permit), so a licence that ended before its permit was issued still
 * stops the issue.
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
  remedy: DepartmentConfig['remedy'];
}

export interface PermitRequestDoc {
  _id: string;
  applicationNumber: string;
  industryCode: string;
  industryNameZh: string;
  industryNameEn: string;
  holder: { companyName: string; creditCode: string; legalRepresentative: string | null; businessAddress: string | null };
  items: PermitItemDoc[];
  receivedAt: Date;
}

export interface HistoryEntry {
  at: Date;
  action: 'ISSUED' | 'VOIDED';
  byRole: string;
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
  holder: PermitRequestDoc['holder'];
  items: PermitItemDoc[];
  status: 'VALID' | 'VOID';
  issuedAt: Date;
  issuedBy: string;
  voidedAt?: Date;
  voidReason?: string;
  voidedByLicenceId?: string;
  history: HistoryEntry[];
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
    this.endings = db.db!.collection('licence_endings');
    this.requests = db.db!.collection('permit_requests');
    this.permits = db.db!.collection('permits');
  }

  async prepare(): Promise<void> {
    await this.permits.createIndex({ code: 1 }, { unique: true });
    await this.permits.createIndex({ applicationId: 1 });
    await this.permits.createIndex({ 'items.licenceId': 1 });
  }

  /** Permit code: 12 characters of an unambiguous alphabet (no 0/O, 1/I/L). */
  static newCode(): string {
    const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
    return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  }
}
