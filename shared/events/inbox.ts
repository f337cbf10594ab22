import type { Connection, mongo } from 'mongoose';
import type { Logger } from '../logger';
import type { IndexDeclaration } from '../db';
import { subgraphConfig } from '../config';
import { byId, insertOnce } from '../records';
import { department } from '../registry';
import { contractProblem, EventRefused } from './contract';
import { verifyEvent, type PlatformEvent } from './event';

export type EventHandler = (event: PlatformEvent) => Promise<void>;

/** A delivery's claim on an event: attempt 1 in `processed_events` (id = event id), later attempts in `inbox_attempts` (`<eventId>#<n>`). */
interface ClaimDoc {
  _id: string;
  type: string;
  source: string;
  claimedAt: Date;
}


export interface InboxAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The inbox reads every record by event id (an event's claim, attempts, failures and its applied mark). */
export const INBOX_INDEXES: IndexDeclaration[] = ['processed_events', 'inbox_attempts', 'applied_events', 'failed_attempts'].map((collection) => ({
  collection,
  keys: { _id: 1 },
  serves: 'each incoming event, by its id',
}));

/**
 * Applies incoming events once in effect. The inbox claims an event before
 * applying it, by inserting its id (atomic on both databases): of two
 * deliveries of one event at the same moment, one applies it and the other is
 * told it is in progress (409, retried later). When the handler is done, the
 * event is recorded in `applied_events`; a later delivery is a duplicate. A
 * claim whose handler failed (`failed_attempts`), or whose process died while
 * applying (older than INBOX_STALE_CLAIM_MS), is taken over by the next
 * delivery through a claim on the next attempt number, so even recovery runs
 * once. Nothing here is ever updated, only inserted. Handlers are still
 * written to be harmless to repeat: a process may die after its handler
 * finished and before the event was recorded as applied.
 */
export class EventInbox {
  private readonly claims: mongo.Collection<ClaimDoc>;
  private readonly attempts: mongo.Collection<ClaimDoc>;
  private readonly applied: mongo.Collection<{ _id: string; attempt: number; at: Date }>;
  private readonly failed: mongo.Collection<{ _id: string; error: string; at: Date }>;

  constructor(
    connection: Connection,
    private readonly serviceName: string,
    private readonly handlers: Record<string, EventHandler>,
    private readonly log: Logger,
    /** Handlers may write events of their own: send them without waiting for a poll. */
    private readonly kickOutbox: () => void = () => {},
  ) {
    const db = connection.db!;
    this.claims = db.collection('processed_events');
    this.attempts = db.collection('inbox_attempts');
    this.applied = db.collection('applied_events');
    this.failed = db.collection('failed_attempts');
  }

  async receive(token: string): Promise<InboxAnswer> {
    let event: PlatformEvent;
    try {
      event = await verifyEvent(token, this.serviceName);
    } catch {
      return { status: 401, body: { error: 'invalid event signature' } };
    }
    // The contract: a known type, from a service allowed to send it, to one meant to receive it, in its shape.
    const problem = contractProblem(event, (code) => department(code) !== undefined);
    const handler = this.handlers[event.type];
    if (problem || !handler) {
      this.log.warn({ eventId: event.id, type: event.type, from: event.source, problem }, 'event refused');
      return { status: 422, body: { error: problem ?? `no handler for ${event.type} here` } };
    }

    if (await byId(this.applied, event.id)) return { status: 200, body: { duplicate: true } };
    const attempt = await this.claim(event);
    if (!attempt) return (await byId(this.applied, event.id)) ? { status: 200, body: { duplicate: true } } : { status: 409, body: { inProgress: true } };
    try {
      await handler(event);
    } catch (error) {
      await insertOnce(this.failed, { _id: `${event.id}#${attempt}`, error: String(error).slice(0, 500), at: new Date() }).catch(() => undefined);
      // The sender does not own what the event is about: refused for good.
      if (error instanceof EventRefused) {
        this.log.warn({ eventId: event.id, type: event.type, from: event.source, problem: error.message }, 'event refused');
        return { status: 422, body: { error: error.message } };
      }
      throw error;
    }
    await insertOnce(this.applied, { _id: event.id, attempt, at: new Date() });
    this.log.info({ eventId: event.id, type: event.type, from: event.source, attempt }, 'event applied');
    this.kickOutbox();
    return { status: 200, body: { applied: true } };
  }

  /** Claims the event for this delivery: the attempt number won, or 0 when another delivery holds it. */
  private async claim(event: PlatformEvent): Promise<number> {
    const fresh = (): ClaimDoc => ({ _id: event.id, type: event.type, source: event.source, claimedAt: new Date() });
    if (await insertOnce(this.claims, fresh())) return 1;
    // The latest attempt so far: attempt 1, then any taken over after it.
    let attempt = 1;
    let latest = await byId(this.claims, event.id);
    for (let next = await byId(this.attempts, `${event.id}#2`); next; next = await byId(this.attempts, `${event.id}#${attempt + 1}`)) {
      attempt++;
      latest = next;
    }
    const failed = await byId(this.failed, `${event.id}#${attempt}`);
    const stale = !latest || Date.now() - latest.claimedAt.getTime() > subgraphConfig().INBOX_STALE_CLAIM_MS;
    if (!failed && !stale) return 0;
    // Take over: only one delivery may claim the next attempt.
    if (!(await insertOnce(this.attempts, { ...fresh(), _id: `${event.id}#${attempt + 1}` }))) return 0;
    this.log.warn({ eventId: event.id, type: event.type, attempt: attempt + 1 }, 'taking over an event whose earlier attempt did not finish');
    return attempt + 1;
  }
}
