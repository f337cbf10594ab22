import { createHash } from 'node:crypto';
import type { mongo } from 'mongoose';
import { addYears, beijingDate } from '../../shared/beijing-calendar';
import type { IndexDeclaration } from '../../shared/db';
import { appendStep, byId, insertOnce, stepId } from '../../shared/records';
import type { Application } from './application';

/**
 * 电子档案: when an application is finished (its permit issued, refused at
 * intake, withdrawn, or every item denied) its file is sealed into one archive
 * record, kept for its retention period. The records form one chain
 * (`archive#<seq>`, inserted once, in order): each holds the SHA-256 of its
 * content (canonical JSON) and the hash of the record before it, and its own
 * hash covers both, so a record altered, removed or put out of order breaks
 * the chain where it happened (`verifyChain`, also run by `npm run
 * archive:verify` against the database directly).
 *
 * An application is sealed once: its claim `sealed:<applicationId>` is
 * inserted first, then the record, then a pointer to it
 * (`record-of:<applicationId>`); a claim without its record (a crash between
 * the writes) is completed by the sweep at start.
 */
export type ArchiveKind = 'PERMIT_ISSUED' | 'REFUSED' | 'WITHDRAWN' | 'ALL_DENIED';

/** Years a file is kept (illustrative: the bureau sets these from the archives regulations). */
export const RETENTION_YEARS: Record<ArchiveKind, number> = { PERMIT_ISSUED: 30, REFUSED: 10, WITHDRAWN: 10, ALL_DENIED: 10 };
export const GENESIS = '0'.repeat(64);

export interface ArchiveContent {
  applicationId: string;
  kind: ArchiveKind;
  application: Record<string, unknown>;
  steps: Record<string, unknown>[];
  permits: { permitId: string; code: string; version: number }[];
}

export interface ArchiveRecord {
  _id: string;
  seq: number;
  applicationId: string;
  kind: ArchiveKind;
  content: ArchiveContent;
  contentHash: string;
  previousHash: string;
  hash: string;
  sealedAt: Date;
  retainUntil: string;
}

interface Claim {
  _id: string;
  applicationId: string;
  kind: ArchiveKind;
  permits: ArchiveContent['permits'];
  at: Date;
}

/** JSON with object keys sorted at every level: the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function recordHash(r: Pick<ArchiveRecord, 'seq' | 'contentHash' | 'previousHash' | 'sealedAt' | 'retainUntil'>): string {
  return sha256(`yiye-archive/1|${r.seq}|${r.contentHash}|${r.previousHash}|${new Date(r.sealedAt).toISOString()}|${r.retainUntil}`);
}

export interface ChainProblem {
  seq: number;
  problem: 'OUT_OF_ORDER' | 'CONTENT_ALTERED' | 'RECORD_ALTERED' | 'BROKEN_LINK';
  detail: string;
}

/** Checks a whole chain, as stored (in `_id` order or any other): every problem, with where it is. */
export function verifyChain(records: ArchiveRecord[]): { records: number; problems: ChainProblem[]; head: string } {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const problems: ChainProblem[] = [];
  let previous = GENESIS;
  sorted.forEach((r, i) => {
    if (r.seq !== i + 1 || r._id !== stepId('archive', r.seq)) problems.push({ seq: r.seq, problem: 'OUT_OF_ORDER', detail: `expected record ${i + 1} here, found ${r.seq} (${r._id}): one is missing or misplaced` });
    if (sha256(canonicalJson(r.content)) !== r.contentHash) problems.push({ seq: r.seq, problem: 'CONTENT_ALTERED', detail: "the content does not hash to the record's contentHash" });
    if (r.previousHash !== previous) problems.push({ seq: r.seq, problem: 'BROKEN_LINK', detail: `previousHash ${r.previousHash.slice(0, 12)}… is not the hash of the record before (${previous.slice(0, 12)}…)` });
    if (recordHash(r) !== r.hash) problems.push({ seq: r.seq, problem: 'RECORD_ALTERED', detail: "the record's own fields do not hash to its hash" });
    previous = r.hash;
  });
  return { records: sorted.length, problems, head: previous };
}

/** What sealing keeps of an application: the submission (its form values too), every step with who and when, the permit versions. */
function contentOf(app: Application, kind: ArchiveKind, permits: ArchiveContent['permits']): ArchiveContent {
  const { request: _request, ...application } = app.doc;
  const steps = app.steps.map(({ _outbox: _o, notification: _n, request: _r, ...step }) => step as unknown as Record<string, unknown>);
  return JSON.parse(canonicalJson({ applicationId: app.id, kind, application, steps, permits })) as ArchiveContent;
}

/** Why an application is finished, or null while it is not (a decided application with an approval waits for its permit). */
export function finishedKind(app: Application): ArchiveKind | null {
  if (app.status === 'REFUSED') return 'REFUSED';
  if (app.status === 'WITHDRAWN') return 'WITHDRAWN';
  if (app.status === 'DECIDED' && [...app.outcomes.values()].every((o) => o.decision === 'DENIED')) return 'ALL_DENIED';
  return null;
}

export class Archive {
  static readonly indexes: readonly IndexDeclaration[] = [{ collection: 'archive', keys: { _id: 1 }, serves: 'the archive chain, record by record, and each application’s claim' }];
  private readonly records: mongo.Collection<ArchiveRecord | Claim>;
  /** The highest record number seen: the head is probed by id from there. */
  private static known = new WeakMap<object, number>();

  constructor(private readonly db: mongo.Db) {
    this.records = db.collection('archive');
  }

  /** Seals a finished application once; a second call for it does nothing. */
  async seal(app: Application, kind: ArchiveKind, permits: ArchiveContent['permits'] = []): Promise<void> {
    const claim: Claim = { _id: `sealed:${app.id}`, applicationId: app.id, kind, permits, at: new Date() };
    if (!(await insertOnce(this.records, claim))) return;
    await this.append(contentOf(app, kind, permits));
  }

  /** An application's record: its pointer (`record-of:<applicationId>`, written after the record), then the record. */
  async recordOf(applicationId: string): Promise<ArchiveRecord | null> {
    const pointer = (await byId(this.records, `record-of:${applicationId}`)) as unknown as { seq: number } | null;
    return pointer ? ((await byId(this.records, stepId('archive', pointer.seq))) as ArchiveRecord | null) : null;
  }

  /** The whole chain, in order (a sweep: for verification and look-ups by the bureau, not for requests of the public). */
  async chain(): Promise<ArchiveRecord[]> {
    const found = (await this.records.find({ _id: { $regex: '^archive#' } } as never).toArray()) as ArchiveRecord[];
    return found.sort((a, b) => a.seq - b.seq);
  }

  /** At start: claims whose record is missing (a crash between the two writes) are sealed now. */
  async completeClaims(load: (applicationId: string) => Promise<Application | null>): Promise<number> {
    const claims = (await this.records.find({ _id: { $regex: '^sealed:' } } as never).toArray()) as Claim[];
    const sealed = new Set((await this.chain()).map((r) => r.applicationId));
    let completed = 0;
    for (const claim of claims.filter((c) => !sealed.has(c.applicationId))) {
      const app = await load(claim.applicationId);
      if (!app) continue;
      await this.append(contentOf(app, claim.kind, claim.permits));
      completed++;
    }
    return completed;
  }

  /** The last record's number: probed by id, doubling then halving, from the highest seen. */
  private async headSeq(): Promise<number> {
    const exists = async (n: number) => n === 0 || Boolean(await byId(this.records, stepId('archive', n)));
    let low = Archive.known.get(this.db) ?? 0;
    if (!(await exists(low))) low = 0;
    let step = 1;
    while (await exists(low + step)) {
      low += step;
      step *= 2;
    }
    let high = low + step; // does not exist
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await exists(mid)) low = mid;
      else high = mid;
    }
    Archive.known.set(this.db, low);
    return low;
  }

  private async append(content: ArchiveContent): Promise<ArchiveRecord> {
    const { step } = await appendStep(
      async () => {
        const seq = await this.headSeq();
        const head = seq ? ((await byId(this.records, stepId('archive', seq))) as ArchiveRecord) : null;
        return { state: head, seq };
      },
      (head, seq) => {
        const sealedAt = new Date();
        const record = {
          _id: stepId('archive', seq + 1),
          seq: seq + 1,
          applicationId: content.applicationId,
          kind: content.kind,
          content,
          contentHash: sha256(canonicalJson(content)),
          previousHash: head?.hash ?? GENESIS,
          sealedAt,
          retainUntil: addYears(beijingDate(sealedAt), RETENTION_YEARS[content.kind]),
        };
        return { ...record, hash: recordHash(record) };
      },
      // Inserted at the next number only: a record out of order (someone else appended first) is not written, and the next is decided again.
      (record) => insertOnce(this.records, record),
      32,
    );
    await insertOnce(this.records, { _id: `record-of:${content.applicationId}`, seq: step!.seq } as never);
    return step!;
  }
}
