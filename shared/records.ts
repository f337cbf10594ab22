import type { mongo } from 'mongoose';
import { isDuplicateKey, writeOptions } from './db';

/**
 * How state changes are written so that no two writers ever race on one
 * document (docs/architecture.md, "Who writes what").
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
 * Documents are never updated after they are inserted, with one exception:
 * the outbox relay alone clears `_pending` on the claims it has delivered.
 */

/** Inserts the document unless one with its id exists. True when this call inserted it. */
export async function insertOnce<T extends { _id: string }>(collection: mongo.Collection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc as mongo.OptionalUnlessRequiredId<T>, writeOptions());
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
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
  attempts = 5,
): Promise<{ step: T | null; state: S; seq: number }> {
  for (let attempt = 1; ; attempt++) {
    const { state, seq } = await read();
    const step = await decide(state, seq);
    if (!step) return { step: null, state, seq };
    if (await insert(step, seq + 1)) return { step, state, seq: seq + 1 };
    if (attempt >= attempts) throw new LostRaceError();
    // Someone else appended first: back off a little so competing writers spread out.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
  }
}

/** Every attempt to append lost to another writer: the caller reports a conflict. */
export class LostRaceError extends Error {
  constructor() {
    super('another writer kept appending to this log; gave up');
  }
}
