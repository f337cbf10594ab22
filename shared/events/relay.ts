import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Connection, mongo } from 'mongoose';
import { request } from 'undici';
import { subgraphConfig } from '../config';
import { serviceUrl } from '../registry';
import type { Logger } from '../logger';
import type { IndexDeclaration } from '../db';
import { onPendingInserted } from './announce';
import { OUTBOX_QUEUE, signEvent, type OutboxEntry, type PlatformEvent } from './event';

/**
 * A collection whose documents may carry events (`_outbox`) or effects to
 * complete. Each store declares its own, so no hand-kept list can forget one.
 */
export interface OutboxSource {
  collection: string;
  /**
   * The claim's effects besides its events (e.g. the licence an approval
   * issues), written with inserts that are harmless to repeat. The relay runs
   * it before sending the document's events, so a crash between a claim and
   * its effects is finished here, and no event tells of an effect not yet written.
   */
  complete?: (doc: mongo.Document) => Promise<void>;
}

/** Delivery to a system outside the platform (e.g. the city e-licence library), by destination name. */
export type ExternalDelivery = (event: PlatformEvent) => Promise<void>;

/** The destination refused the event for good (malformed, unknown type): it is parked, not retried. */
export class PermanentRefusal extends Error {}
/** The destination is applying this very event right now (an earlier delivery): try again shortly. */
export class InProgress extends Error {}

/*
 * Settings (shared/config.ts): EVENT_DELIVERY_TIMEOUT_MS, how long one delivery
 * may take before the destination counts as unavailable; EVENT_MAX_BACKOFF_MS,
 * the longest a failing destination waits before its next try; OUTBOX_ORPHAN_MS,
 * after which a queue entry whose document never came (its writer died, or lost
 * its claim) is dropped.
 */

/** Delivers one event; resolves only on a 2xx from the destination. */
export async function deliverEvent(event: PlatformEvent): Promise<void> {
  const token = await signEvent(event);
  const { EVENT_DELIVERY_TIMEOUT_MS: DELIVERY_TIMEOUT_MS } = subgraphConfig();
  const response = await request(`${serviceUrl(event.destination)}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
    headersTimeout: DELIVERY_TIMEOUT_MS,
    bodyTimeout: DELIVERY_TIMEOUT_MS,
  });
  const text = await response.body.text();
  if (response.statusCode >= 200 && response.statusCode < 300) return;
  if (response.statusCode === 409) throw new InProgress(text.slice(0, 200));
  if (response.statusCode === 422) throw new PermanentRefusal(`${event.destination} refused the event: ${text.slice(0, 200)}`);
  throw new Error(`${event.destination} answered ${response.statusCode}: ${text.slice(0, 200)}`);
}

/** One destination's deliveries: in order, one at a time, with its own back-off. */
interface Lane {
  destination: string;
  queue: { event: PlatformEvent; key: string }[];
  running?: Promise<void>;
  failures: number;
  backoffUntil: number;
}

/** A pending document the relay holds: its queue entry and its events. */
interface Taken {
  entryId: string;
  eventIds: string[];
}

const SWEEP_LIMIT = 500;

/** The relay sweeps its queue oldest first and reads each entry's document by id; operators list dead letters oldest first. */
export const RELAY_INDEXES: IndexDeclaration[] = [
  { collection: OUTBOX_QUEUE, keys: { _id: 1 }, serves: 'leasing and removing one entry' },
  { collection: OUTBOX_QUEUE, keys: { queuedAt: 1 }, serves: 'the sweep, oldest entry first' },
  { collection: 'dead_letters', keys: { _id: 1 }, serves: 'replaying one dead letter' },
  { collection: 'dead_letters', keys: { at: 1 }, serves: 'the list of dead letters (npm run events:dead-letters)' },
];

/**
 * Delivers what claims and steps have to send. It takes each pending
 * document this process inserts as it is inserted (announce.ts), and sweeps
 * the service's outbox queue for the rest (left by a crash, or waiting for a
 * destination that was down). For each document it completes its effects,
 * then delivers its events, each destination in its own lane: a slow or
 * frozen destination holds back only its own events. Within a lane, events go
 * in the order they were written (queue order, then their place in the
 * document); after a failure the lane backs off and its remaining events wait
 * for the next sweep, so that order holds. When every event of a document is
 * delivered, the relay removes its queue entry.
 *
 * Replicas of a service share one queue and do not fight over it: a relay
 * works only entries it leases (OutboxEntry.leasedBy), renews its leases on
 * every sweep, and takes over another's entry only once that lease has run
 * out. Should two ever send the same event (a lease lost mid-delivery), the
 * receiver's inbox applies it once.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private kickTimer?: NodeJS.Timeout;
  private retryTimer?: { at: number; timer: NodeJS.Timeout };
  private unsubscribe?: () => void;
  /** Announced documents are taken one after another, in the order they were written. */
  private announced: Promise<void> = Promise.resolve();
  private running?: Promise<void>;
  private stopped = false;
  private started = false;
  private kickedWhileRunning = false;
  /** Whether the last sweep left something waiting (a destination backing off, a completion that failed). */
  private waiting = false;
  private lastFailureLog = new Map<string, number>();
  private readonly sources: Map<string, { source: OutboxSource; collection: mongo.Collection<mongo.Document> }>;
  private readonly queue: mongo.Collection<OutboxEntry>;
  private readonly deadLetters: mongo.Collection<{ _id: string; event: PlatformEvent; from: string; error: string; at: Date }>;
  private readonly databaseName: string;
  private readonly lanes = new Map<string, Lane>();
  /** Events queued or in flight, and events delivered whose document is not yet done. */
  private readonly queued = new Set<string>();
  private readonly delivered = new Set<string>();
  private readonly taken = new Map<string, Taken>();
  /** Documents whose effects this process has completed. */
  private readonly completed = new Set<string>();
  /** Entries finished since the current sweep read the queue: its list may still name them. */
  private readonly finished = new Set<string>();
  /**
   * This relay, among the replicas sharing the queue: its host and port, which
   * no two running replicas share, so a replica restarted after a crash resumes
   * its own entries at once instead of waiting for their leases to run out.
   */
  readonly id: string;
  private readonly leaseMs: number;

  private readonly intervalMs: number;
  /** Idle sweeps back off up to this: inserts are announced, so sweeps only catch what was left behind. */
  private readonly maxIdleMs: number;
  private readonly enabled: boolean;
  private readonly beforeSweep?: () => Promise<void>;
  private readonly external: Record<string, ExternalDelivery>;

  constructor(
    connection: Connection,
    sources: OutboxSource[],
    private readonly log: Logger,
    options: {
      intervalMs?: number;
      maxIdleMs?: number;
      /** Runs before each sweep (e.g. to lapse licences past their end date). */
      beforeSweep?: () => Promise<void>;
      /** Deliveries to outside systems, by destination name. */
      external?: Record<string, ExternalDelivery>;
    } = {},
  ) {
    const db = connection.db!;
    this.sources = new Map(sources.map((source) => [source.collection, { source, collection: db.collection(source.collection) }]));
    this.queue = db.collection(OUTBOX_QUEUE);
    this.deadLetters = db.collection('dead_letters');
    this.databaseName = db.databaseName;
    const config = subgraphConfig();
    this.intervalMs = options.intervalMs ?? config.OUTBOX_INTERVAL_MS;
    this.maxIdleMs = Math.max(options.maxIdleMs ?? config.OUTBOX_MAX_IDLE_MS, this.intervalMs);
    this.enabled = config.OUTBOX_ENABLED;
    this.leaseMs = config.OUTBOX_LEASE_MS;
    this.id = config.PORT ? `${hostname()}:${config.PORT}` : `${hostname()}:pid${process.pid}:${randomBytes(3).toString('hex')}`;
    this.beforeSweep = options.beforeSweep;
    this.external = options.external ?? {};
  }

  start(): void {
    // An operator can hold deliveries (e.g. during maintenance of a receiver); events wait in the outbox.
    if (!this.enabled) {
      this.log.warn('outbox delivery is held (OUTBOX_ENABLED=false): events are stored, not sent');
      return;
    }
    this.started = true;
    this.unsubscribe = onPendingInserted(this.databaseName, { relayId: this.id, leaseMs: this.leaseMs }, (collection, doc) => this.announce(collection, doc));
    let delay = this.intervalMs;
    const tick = async () => {
      if (this.stopped) return;
      await this.sweep();
      // Something waiting: keep the short interval; otherwise poll less and less.
      delay = this.waiting ? this.intervalMs : Math.min(delay * 2, this.maxIdleMs);
      if (!this.stopped) this.timer = setTimeout(tick, delay);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const timer of [this.timer, this.kickTimer, this.retryTimer?.timer]) if (timer) clearTimeout(timer);
    await this.announced;
    await this.running;
    await Promise.all([...this.lanes.values()].map((lane) => lane.running));
  }

  /**
   * Asks for a sweep soon (after a write, as a safety net: the write's own
   * documents are announced and taken at once). Kicks within one interval share a sweep.
   */
  kick(): void {
    if (!this.started || this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      this.sweepNow();
    }, this.intervalMs);
  }

  private sweepNow(): void {
    // A document queued during a sweep may have been missed by it: sweep once more afterwards.
    if (this.running) this.kickedWhileRunning = true;
    else void this.sweep();
  }

  private sweepAfter(ms: number): void {
    const at = Date.now() + ms;
    if (this.stopped || (this.retryTimer && this.retryTimer.at <= at)) return;
    if (this.retryTimer) clearTimeout(this.retryTimer.timer);
    this.retryTimer = {
      at,
      timer: setTimeout(() => {
        this.retryTimer = undefined;
        this.sweepNow();
      }, ms),
    };
  }

  /** A pending document this process has just inserted: take it without a query. */
  private announce(collectionName: string, doc: mongo.Document): void {
    const entry = this.sources.get(collectionName);
    if (!entry || this.stopped) return;
    this.announced = this.announced
      .then(async () => {
        await this.take(entry.source, `${collectionName}/${String(doc._id)}`, doc);
        this.runLanes();
      })
      .catch((error) => this.log.warn({ err: String(error) }, 'taking an announced document failed; the sweep will find it'));
  }

  sweep(): Promise<void> {
    if (!this.running) {
      this.running = this.doSweep().finally(() => {
        this.running = undefined;
        if (this.kickedWhileRunning && !this.stopped) {
          this.kickedWhileRunning = false;
          void this.sweep();
        }
      });
    }
    return this.running;
  }

  private async doSweep(): Promise<void> {
    let waiting = false;
    try {
      await this.beforeSweep?.();
      this.finished.clear();
      const entries = await this.queue.find({}).sort({ queuedAt: 1 }).limit(SWEEP_LIMIT).toArray();
      const now = Date.now();
      await this.renewLeases(entries, now);
      for (const entry of entries) {
        if (this.taken.has(entry._id) || this.finished.has(entry._id)) continue; // in hand, or done while this sweep ran
        // Another replica's relay works this one; it is ours only once that lease has run out, and we won it.
        if (entry.leasedBy !== this.id && !(await this.takeOver(entry, now))) continue;
        const source = this.sources.get(entry.collection);
        const doc = source ? await source.collection.findOne({ _id: entry.docId as unknown as mongo.ObjectId }) : null;
        if (!source || !doc) {
          // The document never came (its writer died before inserting it, or lost its claim to another): drop the entry in time.
          if (Date.now() - entry.queuedAt.getTime() > subgraphConfig().OUTBOX_ORPHAN_MS) await this.queue.deleteOne({ _id: entry._id });
          else waiting = true;
          continue;
        }
        if (await this.take(source.source, entry._id, doc)) waiting = true;
      }
    } catch (error) {
      waiting = true;
      this.log.warn({ err: String(error) }, 'outbox sweep failed; will retry');
    }
    this.waiting = waiting;
    this.runLanes();
  }

  /** Extends the leases this relay holds among `entries` before they run out (a lane may wait long for its destination). */
  private async renewLeases(entries: OutboxEntry[], now: number): Promise<void> {
    const due = entries.filter((e) => e.leasedBy === this.id && (e.leaseUntil?.getTime() ?? 0) < now + this.leaseMs / 2).map((e) => e._id);
    if (due.length) await this.queue.updateMany({ _id: { $in: due }, leasedBy: this.id }, { $set: { leaseUntil: new Date(now + this.leaseMs) } });
  }

  /** Leases an entry whose lease has run out (or that never had one); false when it is still another's, or another won it. */
  private async takeOver(entry: OutboxEntry, now: number): Promise<boolean> {
    if (entry.leaseUntil && entry.leaseUntil.getTime() > now) return false;
    // The filter is the compare-and-set: of two relays taking over at once, only one still matches.
    const expired = entry.leaseUntil ? { leaseUntil: entry.leaseUntil, leasedBy: entry.leasedBy } : { leaseUntil: { $exists: false } };
    const result = await this.queue.updateOne({ _id: entry._id, ...expired }, { $set: { leasedBy: this.id, leaseUntil: new Date(now + this.leaseMs) } });
    if (result.modifiedCount !== 1) return false;
    if (entry.leasedBy) this.log.info({ doc: entry._id, from: entry.leasedBy }, 'took over an outbox entry whose lease ran out');
    return true;
  }

  /**
   * Completes one pending document's effects and queues its undelivered events.
   * Returns true when something of it has to wait (a destination backing off,
   * a completion that failed), so the relay sweeps again soon.
   */
  private async take(source: OutboxSource, entryId: string, doc: mongo.Document): Promise<boolean> {
    if (!this.completed.has(entryId)) {
      try {
        await source.complete?.(doc);
      } catch (error) {
        this.log.warn({ doc: entryId, err: String(error) }, 'completing a claim failed; will retry');
        return true;
      }
      this.completed.add(entryId);
    }
    const events = (doc._outbox ?? []) as PlatformEvent[];
    this.taken.set(entryId, { entryId, eventIds: events.map((e) => e.id) });
    if (events.every((e) => this.delivered.has(e.id))) {
      await this.done(entryId);
      return false;
    }
    const now = Date.now();
    let waiting = false;
    for (const event of events) {
      if (this.delivered.has(event.id) || this.queued.has(event.id)) continue;
      const lane = this.laneFor(event.destination);
      if (lane.backoffUntil > now) {
        waiting = true;
        continue;
      }
      this.queued.add(event.id);
      lane.queue.push({ event, key: entryId });
    }
    if (waiting) this.taken.delete(entryId); // the next sweep takes it again, after the back-off
    return waiting;
  }

  private laneFor(destination: string): Lane {
    let lane = this.lanes.get(destination);
    if (!lane) {
      lane = { destination, queue: [], failures: 0, backoffUntil: 0 };
      this.lanes.set(destination, lane);
    }
    return lane;
  }

  private runLanes(): void {
    for (const lane of this.lanes.values()) this.run(lane);
  }

  private run(lane: Lane): void {
    if (lane.running || !lane.queue.length) return;
    lane.running = (async () => {
      while (lane.queue.length && !this.stopped) {
        const item = lane.queue.shift()!;
        try {
          await (this.external[lane.destination] ?? deliverEvent)(item.event);
          lane.failures = 0;
          this.log.info({ eventId: item.event.id, type: item.event.type, to: lane.destination }, 'event delivered');
        } catch (error) {
          if (!(error instanceof PermanentRefusal)) {
            this.holdLane(lane, item, error);
            continue;
          }
          await this.park(item.event, item.key, error);
        }
        this.queued.delete(item.event.id);
        this.delivered.add(item.event.id);
        const taken = this.taken.get(item.key);
        if (taken && taken.eventIds.every((id) => this.delivered.has(id))) await this.done(item.key);
      }
    })().finally(() => {
      lane.running = undefined;
    });
  }

  /**
   * A failed delivery: this destination backs off; its remaining events (and
   * their documents) wait for the first sweep after the back-off, which brings
   * them again in their order.
   */
  private holdLane(lane: Lane, failed: { event: PlatformEvent; key: string }, error: unknown): void {
    if (error instanceof InProgress) {
      lane.backoffUntil = Date.now() + 500;
    } else {
      lane.failures++;
      lane.backoffUntil = Date.now() + Math.min(subgraphConfig().EVENT_MAX_BACKOFF_MS, 250 * 2 ** Math.min(lane.failures, 7));
      const last = this.lastFailureLog.get(lane.destination) ?? 0;
      if (Date.now() - last > 5000) {
        this.lastFailureLog.set(lane.destination, Date.now());
        this.log.warn({ to: lane.destination, failures: lane.failures, err: String(error) }, 'event delivery failed; this destination backs off, others go on');
      }
    }
    for (const item of [failed, ...lane.queue]) {
      this.queued.delete(item.event.id);
      this.taken.delete(item.key);
    }
    lane.queue = [];
    this.sweepAfter(lane.backoffUntil - Date.now());
  }

  /** Parks an event its destination will never take, where an operator can see and replay it. */
  private async park(event: PlatformEvent, key: string, error: Error): Promise<void> {
    await this.deadLetters.insertOne({ _id: event.id, event, from: key, error: error.message, at: new Date() }).catch(() => undefined);
    this.log.error({ eventId: event.id, type: event.type, to: event.destination, err: error.message }, 'event refused by its destination: parked in dead_letters');
  }

  /** Every event of the document is delivered and its effects complete: its queue entry goes. */
  private async done(entryId: string): Promise<void> {
    const taken = this.taken.get(entryId);
    try {
      await this.queue.deleteOne({ _id: entryId });
    } catch (error) {
      this.log.warn({ doc: entryId, err: String(error) }, 'could not clear a delivered document from the queue; will retry');
      this.taken.delete(entryId);
      return;
    }
    this.taken.delete(entryId);
    this.finished.add(entryId);
    this.completed.delete(entryId);
    for (const id of taken?.eventIds ?? []) this.delivered.delete(id);
  }
}
