import type { Connection, mongo } from 'mongoose';
import type { Logger } from '../logger';
import { insertOnce } from '../records';
import { verifyEvent, type PlatformEvent } from './event';

export type EventHandler = (event: PlatformEvent) => Promise<void>;

/** A handler's claim on an event: inserted before the handler runs. */
interface ProcessedEventDoc {
  _id: string;
  type: string;
  source: string;
  state: 'APPLYING' | 'APPLIED' | 'FAILED';
  attempt: number;
  claimedAt: Date;
  appliedAt?: Date;
}

/** A claim older than this whose handler never finished (its process died) may be taken over. */
const STALE_CLAIM_MS = Number(process.env.INBOX_STALE_CLAIM_MS ?? 30_000);

export interface InboxAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Applies incoming events once in effect. The inbox claims an event before
 * applying it, by inserting its id into `processed_events` (atomic on both
 * databases): of two deliveries of one event at the same moment, one applies
 * it and the other is told it is in progress (409, retried later). A claim
 * whose handler failed, or whose process died while applying (older than
 * INBOX_STALE_CLAIM_MS), is taken over by the next delivery through a second
 * claim on the attempt number (`inbox_attempts`), so even recovery runs once.
 * Handlers are still written to be harmless to repeat: a process may die after
 * its handler finished and before the claim was marked applied.
 */
export class EventInbox {
  private readonly processed: mongo.Collection<ProcessedEventDoc>;
  private readonly attempts: mongo.Collection<{ _id: string; at: Date }>;

  constructor(
    connection: Connection,
    private readonly serviceName: string,
    private readonly handlers: Record<string, EventHandler>,
    private readonly log: Logger,
    /** Handlers may write events of their own: send them without waiting for a poll. */
    private readonly kickOutbox: () => void = () => {},
  ) {
    this.processed = connection.db!.collection('processed_events');
    this.attempts = connection.db!.collection('inbox_attempts');
  }

  async receive(token: string): Promise<InboxAnswer> {
    let event: PlatformEvent;
    try {
      event = await verifyEvent(token, this.serviceName);
    } catch {
      return { status: 401, body: { error: 'invalid event signature' } };
    }
    const handler = this.handlers[event.type];
    if (!handler) return { status: 422, body: { error: `no handler for ${event.type}` } };

    const claim = await this.claim(event);
    if (claim.answer) return claim.answer;
    try {
      await handler(event);
    } catch (error) {
      await this.processed.updateOne({ _id: event.id }, { $set: { state: 'FAILED' } }).catch(() => undefined);
      throw error;
    }
    await this.processed.updateOne({ _id: event.id }, { $set: { state: 'APPLIED', appliedAt: new Date() } });
    this.log.info({ eventId: event.id, type: event.type, from: event.source, attempt: claim.attempt }, 'event applied');
    this.kickOutbox();
    return { status: 200, body: { applied: true } };
  }

  /** Claims the event for this delivery, or says why not (already applied, or being applied). */
  private async claim(event: PlatformEvent): Promise<{ attempt: number; answer?: InboxAnswer }> {
    const now = new Date();
    if (await insertOnce(this.processed, { _id: event.id, type: event.type, source: event.source, state: 'APPLYING', attempt: 1, claimedAt: now })) {
      return { attempt: 1 };
    }
    const existing = await this.processed.findOne({ _id: event.id });
    if (!existing || existing.state === 'APPLIED') return { attempt: 0, answer: { status: 200, body: { duplicate: true } } };
    const abandoned = existing.state === 'FAILED' || now.getTime() - existing.claimedAt.getTime() > STALE_CLAIM_MS;
    const busy = { attempt: 0, answer: { status: 409, body: { inProgress: true } } };
    if (!abandoned) return busy;
    // Take over: only one delivery may claim the next attempt.
    const attempt = existing.attempt + 1;
    if (!(await insertOnce(this.attempts, { _id: `${event.id}#${attempt}`, at: now }))) return busy;
    await this.processed.updateOne({ _id: event.id }, { $set: { state: 'APPLYING', attempt, claimedAt: now } });
    this.log.warn({ eventId: event.id, type: event.type, attempt }, 'taking over an event whose earlier attempt did not finish');
    return { attempt };
  }
}
