import type { Connection, mongo } from 'mongoose';
import { request } from 'undici';
import { serviceUrl } from '../registry';
import type { Logger } from '../logger';
import { insertOnce } from '../records';
import { signEvent, type PlatformEvent } from './event';

/**
 * A collection whose documents may carry events (`_outbox`) or effects to
 * complete (`_pending`). Each store declares its own, so no hand-kept list can
 * forget one.
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

/** How long one delivery may take before the destination counts as unavailable. */
export const DELIVERY_TIMEOUT_MS = Number(process.env.EVENT_DELIVERY_TIMEOUT_MS ?? 5000);

/** Delivers one event; resolves only on a 2xx from the destination. */
export async function deliverEvent(event: PlatformEvent): Promise<void> {
  const token = await signEvent(event);
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

interface TrackedDoc {
  collection: mongo.Collection<mongo.Document>;
  id: unknown;
  eventIds: string[];
}

const SWEEP_LIMIT = 500;

/**
 * Finds documents with `_pending` set, completes their effects, and delivers
 * their events, each destination in its own lane: a slow or frozen destination
 * holds back only its own events. Within a lane, events go in the order they
 * were written (`_queuedAt`, then their place in the document); after a
 * failure the lane backs off and the rest of its events wait for a later sweep,
 * so that order holds. When every event of a document is delivered, the relay
 * clears its `_pending`.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private started = false;
  private kickedWhileRunning = false;
  /** Whether the last sweep found pending documents. */
  private foundPending = false;
  private lastFailureLog = new Map<string, number>();
  private readonly sources: { source: OutboxSource; collection: mongo.Collection<mongo.Document> }[];
  private readonly lanes = new Map<string, Lane>();
  /** Events queued or in flight, and events delivered whose document is not yet marked done. */
  private readonly queued = new Set<string>();
  private readonly delivered = new Set<string>();
  private readonly tracked = new Map<string, TrackedDoc>();
  /** Documents whose effects this process has completed. */
  private readonly completed = new Set<string>();
  private readonly deadLetters: mongo.Collection<{ _id: string; event: PlatformEvent; from: string; error: string; at: Date }>;

  private readonly intervalMs: number;
  /** Idle sweeps back off up to this: writes kick the relay, so polling only catches what kicks missed. */
  private readonly maxIdleMs: number;
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
    this.sources = sources.map((source) => ({ source, collection: connection.db!.collection(source.collection) }));
    this.deadLetters = connection.db!.collection('dead_letters');
    this.intervalMs = options.intervalMs ?? Number(process.env.OUTBOX_INTERVAL_MS ?? 300);
    this.maxIdleMs = Math.max(options.maxIdleMs ?? Number(process.env.OUTBOX_MAX_IDLE_MS ?? 3000), this.intervalMs);
    this.beforeSweep = options.beforeSweep;
    this.external = options.external ?? {};
  }

  start(): void {
    // An operator can hold deliveries (e.g. during maintenance of a receiver); events wait in the outbox.
    if (process.env.OUTBOX_ENABLED === 'false') {
      this.log.warn('outbox delivery is held (OUTBOX_ENABLED=false): events are stored, not sent');
      return;
    }
    this.started = true;
    let delay = this.intervalMs;
    const tick = async () => {
      if (this.stopped) return;
      await this.sweep();
      // Something pending (e.g. a receiver down): keep the short interval; otherwise poll less and less.
      delay = this.foundPending ? this.intervalMs : Math.min(delay * 2, this.maxIdleMs);
      if (!this.stopped) this.timer = setTimeout(tick, delay);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.lanes.values()].map((lane) => lane.running));
  }

  /** Runs one sweep now (called right after a write, to cut latency). */
  kick(): void {
    if (!this.started || this.stopped) return;
    // A write during a sweep may have been missed by it: sweep once more afterwards.
    if (this.running) this.kickedWhileRunning = true;
    else void this.sweep();
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
    let found = false;
    try {
      await this.beforeSweep?.();
      for (const { source, collection } of this.sources) {
        const docs = await collection.find({ _pending: true }).sort({ _queuedAt: 1 }).limit(SWEEP_LIMIT).toArray();
        for (const doc of docs) {
          found = true;
          await this.take(source, collection, doc);
        }
      }
      this.foundPending = found;
    } catch (error) {
      this.foundPending = true;
      this.log.warn({ err: String(error) }, 'outbox sweep failed; will retry');
    }
    for (const lane of this.lanes.values()) this.run(lane);
  }

  /** Completes one pending document's effects and queues its undelivered events. */
  private async take(source: OutboxSource, collection: mongo.Collection<mongo.Document>, doc: mongo.Document): Promise<void> {
    const key = `${collection.collectionName}/${String(doc._id)}`;
    if (!this.completed.has(key)) {
      try {
        await source.complete?.(doc);
      } catch (error) {
        this.log.warn({ doc: key, err: String(error) }, 'completing a claim failed; will retry');
        return;
      }
      this.completed.add(key);
    }
    const events = (doc._outbox ?? []) as PlatformEvent[];
    this.tracked.set(key, { collection, id: doc._id, eventIds: events.map((e) => e.id) });
    if (events.every((e) => this.delivered.has(e.id))) {
      await this.markDone(key);
      return;
    }
    const now = Date.now();
    for (const event of events) {
      if (this.delivered.has(event.id) || this.queued.has(event.id)) continue;
      const lane = this.laneFor(event.destination);
      if (lane.backoffUntil > now) continue;
      this.queued.add(event.id);
      lane.queue.push({ event, key });
    }
  }

  private laneFor(destination: string): Lane {
    let lane = this.lanes.get(destination);
    if (!lane) {
      lane = { destination, queue: [], failures: 0, backoffUntil: 0 };
      this.lanes.set(destination, lane);
    }
    return lane;
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
          if (error instanceof PermanentRefusal) {
            await this.park(item.event, item.key, error);
          } else {
            this.queued.delete(item.event.id);
            this.holdLane(lane, error);
            continue;
          }
        }
        this.queued.delete(item.event.id);
        this.delivered.add(item.event.id);
        await this.markDoneIfComplete(item.key);
      }
    })().finally(() => {
      lane.running = undefined;
    });
  }

  /** A failed delivery: this destination backs off; its later events wait for a sweep after the back-off, keeping their order. */
  private holdLane(lane: Lane, error: unknown): void {
    if (error instanceof InProgress) {
      lane.backoffUntil = Date.now() + 500;
    } else {
      lane.failures++;
      lane.backoffUntil = Date.now() + Math.min(30_000, 250 * 2 ** Math.min(lane.failures, 7));
      const last = this.lastFailureLog.get(lane.destination) ?? 0;
      if (Date.now() - last > 5000) {
        this.lastFailureLog.set(lane.destination, Date.now());
        this.log.warn({ to: lane.destination, failures: lane.failures, err: String(error) }, 'event delivery failed; this destination backs off, others go on');
      }
    }
    for (const rest of lane.queue) this.queued.delete(rest.event.id);
    lane.queue = [];
  }

  /** Parks an event its destination will never take, where an operator can see and replay it. */
  private async park(event: PlatformEvent, key: string, error: Error): Promise<void> {
    await insertOnce(this.deadLetters, { _id: event.id, event, from: key, error: error.message, at: new Date() });
    this.log.error({ eventId: event.id, type: event.type, to: event.destination, err: error.message }, 'event refused by its destination: parked in dead_letters');
  }

  private async markDoneIfComplete(key: string): Promise<void> {
    const doc = this.tracked.get(key);
    if (doc && doc.eventIds.every((id) => this.delivered.has(id))) await this.markDone(key);
  }

  /** The one write to a claim after its insert: it is complete and delivered. */
  private async markDone(key: string): Promise<void> {
    const doc = this.tracked.get(key);
    if (!doc) return;
    try {
      await doc.collection.updateOne({ _id: doc.id as mongo.ObjectId }, { $set: { _pending: false } });
    } catch (error) {
      this.log.warn({ doc: key, err: String(error) }, 'could not mark a delivered document; will retry');
      return;
    }
    this.tracked.delete(key);
    this.completed.delete(key);
    for (const id of doc.eventIds) this.delivered.delete(id);
  }
}
