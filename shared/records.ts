import type { mongo } from 'mongoose';
import { isDuplicateKey, writeOptions } from './db';
import { announceInserted, leaseForInsert } from './events/announce';
import { OUTBOX_QUEUE, type OutboxEntry } from './events/event';

/**
 * How state is written and read so that no two writers ever race on one
 * document and every read of current state is a lookup by id
 * (docs/architecture.md, "Who writes what").
 *
 * FerretDB applies an update by reading the document, changing it in Go and
 * writing the whole document back, so two concurrent updates of one document
 * lose one of them even when they touch different fields. The only write that
 * is atomic there and on MongoDB is inserting a document whose `_id` is
 * unique. So every change of state is an insert:
 * - a **claim**: a document whose id names the decision (`<licenceId>:ENDED`),
 *   inserted once; a second claimant gets a duplicate key and has lost;
 * - a **step** in an aggregate's log: `<aggregateId>#<seq>`; a writer reads the
 *   log, folds it into the current state, checks what it wants to do against
 *   that state and inserts the next sequence number. Two writers deciding from
 *   the same state compete for the same id, so exactly one wins; the loser
 *   reads again and decides again (usually: refused, with the real reason).
 * Nothing is updated after it is inserted. And since the embedded database
 * answers a query on any other field by reading the whole collection, current
 * state is read by id: the log one step after another (`readLog`), claims by
 * the id they are known by.
 */

/** Inserts the document unless one with its id exists. True when this call inserted it. */
export async function insertOnce<T extends { _id: string }>(collection: mongo.Collection<T>, doc: T): Promise<boolean> {
  if (isPending(doc)) throw new Error(`a document with events or effects goes through insertPending (${collection.collectionName}/${doc._id})`);
  return insertRaw(collection, doc);
}

async function insertRaw<T extends { _id: string }>(collection: mongo.Collection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc as mongo.OptionalUnlessRequiredId<T>, writeOptions());
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

function isPending(doc: object): boolean {
  const d = doc as { _outbox?: unknown[]; _effects?: boolean };
  return Boolean(d._outbox?.length || d._effects);
}

/**
 * Inserts a claim or step that carries events (or effects to complete). Its
 * entry in the service's outbox queue goes in first, then the document: the
 * document is the commit point, and whenever it exists its entry exists until
 * the relay has finished with it. (An entry whose document never came, because
 * the writer died or lost the claim, is cleared by the relay.)
 */
export async function insertPending<T extends { _id: string }>(db: mongo.Db, collection: mongo.Collection<T>, doc: T): Promise<boolean> {
  if (!isPending(doc)) return insertRaw(collection, doc);
  const entry: OutboxEntry = { _id: `${collection.collectionName}/${doc._id}`, collection: collection.collectionName, docId: doc._id, queuedAt: new Date(), ...leaseForInsert(db.databaseName) };
  await insertRaw(db.collection<OutboxEntry>(OUTBOX_QUEUE), entry);
  if (!(await insertRaw(collection, doc))) return false;
  announceInserted(collection, doc);
  return true;
}

/** One document by id. */
export async function byId<T extends { _id: string }>(collection: mongo.Collection<T>, id: string): Promise<T | null> {
  return (await collection.findOne({ _id: id } as mongo.Filter<T>)) as T | null;
}

/**
 * Many documents by id in one query (`_id: { $in }`, answered from the primary
 * index: by MongoDB, and by the embedded FerretDB with its patch), in the order
 * of `ids`; those that do not exist are left out.
 */
export async function byIds<T extends { _id: string }>(collection: mongo.Collection<T>, ids: readonly string[]): Promise<T[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  if (unique.length === 1) {
    const doc = await byId(collection, unique[0]);
    return doc ? [doc] : [];
  }
  const found = new Map(((await collection.find({ _id: { $in: unique } } as mongo.Filter<T>).toArray()) as T[]).map((d) => [d._id, d]));
  return unique.flatMap((id) => found.get(id) ?? []);
}

/**
 * An aggregate's log, in order: the documents `idOf(from)`, `idOf(from + 1)`, …
 * up to the first that is missing, read `batch` at a time in one query each.
 */
export async function readLog<T extends { _id: string }>(collection: mongo.Collection<T>, idOf: (n: number) => string, batch = 4, from = 1): Promise<T[]> {
  const log: T[] = [];
  for (let first = from; ; first += batch) {
    const wanted = Array.from({ length: batch }, (_, i) => idOf(first + i));
    const found = new Map((await byIds(collection, wanted)).map((d) => [d._id, d]));
    for (const id of wanted) {
      const doc = found.get(id);
      if (!doc) return log;
      log.push(doc);
    }
  }
}

/** A step document's common fields: its position in the aggregate's log. */
export interface LogPosition {
  /** `<aggregateId>#<seq>` */
  _id: string;
  seq: number;
}

export function stepId(aggregateId: string, seq: number): string {
  return `${aggregateId}#${seq}`;
}

/**
 * One optimistic append to an aggregate's log. `read` returns the folded state
 * and the last sequence number; `decide` looks at the state and returns the
 * step to append (it throws to refuse, or returns null when there is nothing
 * to do, e.g. a redelivered event); `insert` inserts it at the given sequence
 * number and says whether it won. A lost race re-reads and re-decides.
 */
export async function appendStep<S, T>(
  read: () => Promise<{ state: S; seq: number }>,
  decide: (state: S, seq: number) => T | null | Promise<T | null>,
  insert: (step: T, seq: number) => Promise<boolean>,
  attempts = 8,
): Promise<{ step: T | null; state: S; seq: number }> {
  for (let attempt = 1; ; attempt++) {
    const { state, seq } = await read();
    const step = await decide(state, seq);
    if (!step) return { step: null, state, seq };
    if (await insert(step, seq + 1)) return { step, state, seq: seq + 1 };
    if (attempt >= attempts) throw new LostRaceError();
    // Someone else appended first: back off a little so competing writers spread out.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * attempt));
  }
}

/** Every attempt to append lost to another writer: the caller reports a conflict. */
export class LostRaceError extends Error {
  constructor() {
    super('another writer kept appending to this log; gave up');
  }
}
