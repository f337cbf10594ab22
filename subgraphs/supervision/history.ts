import type { Connection, mongo } from 'mongoose';
import type { IndexDeclaration } from '../../shared/db';
import { appendStep, byId, byIds, insertOnce, readLog, stepId } from '../../shared/records';
import type { FollowUp } from './inspections';

/**
 * What supervision knows of one business over time, the inputs of its risk
 * grade (一评): its closed inspections, the complaints against it, and the
 * corrections its departments confirmed. A business here is its permit across
 * every version, named by the application that issued it (`applicationId`), so
 * a re-issue (a new name, a new version) keeps its history.
 *
 * Logs inserted once, read by id (`inspected:<applicationId>#<n>`,
 * `complaint:<applicationId>#<n>`), so a scan's "last inspection" is one or
 * two lookups; a correction is `corrected:<followUpId>`, written once.
 */
export interface InspectedEntry {
  _id: string;
  seq: number;
  kind: 'INSPECTED';
  applicationId: string;
  inspectionId: string;
  planId: string;
  industryCode: string;
  permitCode: string;
  closedAt: Date;
  result: 'PASSED' | 'FAILED';
  /** Every point recorded, with its result: the analysts' failure rates. */
  points: { pointCode: string; result: string }[];
  /** The departments whose inspectors visited together: without the joint inspection, one visit each. */
  departmentCodes: string[];
  followUps: FollowUp[];
}

export interface ComplaintEntry {
  _id: string;
  seq: number;
  kind: 'COMPLAINT';
  applicationId: string;
  industryCode: string;
  permitCode: string;
  companyName: string;
  itemCode: string | null;
  /** The departments it goes to: the item's, or every department the permit holds a licence from. */
  departmentCodes: string[];
  text: string;
  /** How to reach the person reporting, if they gave it: only the departments see it. */
  contact: string | null;
  at: Date;
}

export interface CorrectionEntry {
  _id: string;
  kind: 'CORRECTED';
  followUpId: string;
  departmentCode: string;
  note: string;
  by: string;
  at: Date;
}

type Entry = InspectedEntry | ComplaintEntry | CorrectionEntry;

export class BusinessHistory {
  static readonly indexes: readonly IndexDeclaration[] = [{ collection: 'business_history', keys: { _id: 1 }, serves: "a business's inspections, complaints and corrections, by id" }];
  private readonly entries: mongo.Collection<Entry>;

  constructor(db: Connection) {
    this.entries = db.db!.collection<Entry>('business_history');
  }

  async inspections(applicationId: string): Promise<InspectedEntry[]> {
    return (await readLog(this.entries, (n) => stepId(`inspected:${applicationId}`, n))) as InspectedEntry[];
  }

  async complaintsAgainst(applicationId: string): Promise<ComplaintEntry[]> {
    return (await readLog(this.entries, (n) => stepId(`complaint:${applicationId}`, n))) as ComplaintEntry[];
  }

  /** Adds a closed inspection to its business's log; a second call for the same inspection adds nothing. */
  async addInspection(entry: Omit<InspectedEntry, '_id' | 'seq' | 'kind'>): Promise<void> {
    await this.append(`inspected:${entry.applicationId}`, (log) => (log.some((e) => (e as InspectedEntry).inspectionId === entry.inspectionId) ? null : { kind: 'INSPECTED', ...entry }));
  }

  async addComplaint(entry: Omit<ComplaintEntry, '_id' | 'seq' | 'kind'>): Promise<ComplaintEntry> {
    return (await this.append(`complaint:${entry.applicationId}`, () => ({ kind: 'COMPLAINT', ...entry }))) as ComplaintEntry;
  }

  /** Every complaint sent to a department: a list for its staff, read by a field (the whole collection on the embedded database). */
  async complaintsTo(departmentCode: string): Promise<ComplaintEntry[]> {
    const found = await this.entries.find({ kind: 'COMPLAINT', departmentCodes: departmentCode } as never).toArray();
    return (found as ComplaintEntry[]).sort((a, b) => b.at.getTime() - a.at.getTime());
  }

  /** Every closed inspection, for the analysts' figures (a sweep over the collection). */
  async allInspections(): Promise<InspectedEntry[]> {
    return (await this.entries.find({ kind: 'INSPECTED' } as never).toArray()) as InspectedEntry[];
  }

  /** Records a correction once; false when one is already recorded. */
  async addCorrection(entry: Omit<CorrectionEntry, '_id' | 'kind'>): Promise<boolean> {
    return insertOnce(this.entries, { _id: `corrected:${entry.followUpId}`, kind: 'CORRECTED', ...entry });
  }

  async correction(followUpId: string): Promise<CorrectionEntry | null> {
    return (await byId(this.entries, `corrected:${followUpId}`)) as CorrectionEntry | null;
  }

  async corrections(followUpIds: readonly string[]): Promise<Map<string, CorrectionEntry>> {
    const found = (await byIds(this.entries, followUpIds.map((id) => `corrected:${id}`))) as CorrectionEntry[];
    return new Map(found.map((c) => [c.followUpId, c]));
  }

  private async append(key: string, decide: (log: Entry[]) => Omit<Entry, '_id' | 'seq'> | null): Promise<Entry | null> {
    const { step, seq } = await appendStep(
      async () => {
        const log = await readLog(this.entries, (n) => stepId(key, n));
        return { state: log, seq: log.length };
      },
      (log) => decide(log),
      (entry, seq) => insertOnce(this.entries, { ...entry, _id: stepId(key, seq), seq } as Entry),
    );
    return step ? ({ ...step, _id: stepId(key, seq), seq } as Entry) : null;
  }
}
