import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Connection, mongo } from 'mongoose';
import { request } from 'undici';
import { serviceUrl } from './registry';
import type { Logger } from './logger';

/**
 * Cross-subgraph effects travel as events (design brief, invariant 4):
 * the event is pushed onto the `_outbox` array of the very document whose state
 * changed, in the same write; a relay delivers it (at least once) to the
 * destination's `POST /events`, then pulls it from the array; the receiver
 * applies it idempotently, keyed by the event id.
 */
export interface PlatformEvent<P = Record<string, unknown>> {
  /** Idempotency key: the same event delivered twice has the same id. */
  id: string;
  type: string;
  source: string;
  destination: string;
  occurredAt: string;
  payload: P;
}

export const OUTBOX_FIELD = '_outbox';

export function newEvent<P extends Record<string, unknown>>(
  type: string,
  source: string,
  destination: string,
  payload: P,
  id: string = randomUUID(),
): PlatformEvent<P> {
  return { id, type, source, destination, occurredAt: new Date().toISOString(), payload };
}

/** The `$push` to add to a state-changing update so the event is written with it. */
export function pushEvents(...events: PlatformEvent[]) {
  return { [OUTBOX_FIELD]: { $each: events } };
}

const encoder = new TextEncoder();
function eventSecret(): Uint8Array {
  const secret = process.env.EVENT_SIGNING_SECRET;
  if (!secret || secret.length < 32) throw new Error('EVENT_SIGNING_SECRET must be set (32+ characters)');
  return encoder.encode(secret);
}

export async function signEvent(event: PlatformEvent): Promise<string> {
  return new SignJWT({ event })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(event.source)
    .setAudience(event.destination)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(eventSecret());
}

export async function verifyEvent(token: string, destination: string): Promise<PlatformEvent> {
  const { payload } = await jwtVerify(token, eventSecret(), { audience: destination, algorithms: ['HS256'] });
  return payload.event as PlatformEvent;
}

/** Delivers one event; resolves only on a 2xx from the destination. */
export async function deliverEvent(event: PlatformEvent): Promise<void> {
  const token = await signEvent(event);
  const response = await request(`${serviceUrl(event.destination)}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new Error(`${event.destination} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
}

/**
 * Polls the given collections for documents with undelivered events and
 * delivers them in order per document. A failed delivery stays in the outbox
 * and is retried on the next sweep, so a destination that is down receives
 * everything once it is back.
 */
/** Delivery to a system outside the platform (e.g. the city e-licence library), by destination name. */
export type ExternalDelivery = (event: PlatformEvent) => Promise<void>;

export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private started = false;
  private kickedWhileRunning = false;
  /** Whether the last sweep found undelivered events. */
  private foundPending = false;
  private lastFailureLog = 0;
  private readonly collections: mongo.Collection<mongo.Document>[];

  private readonly intervalMs: number;
  /** Idle sweeps back off up to this: writes kick the relay, so polling only catches what kicks missed. */
  private readonly maxIdleMs: number;
  private readonly beforeSweep?: () => Promise<void>;
  private readonly external: Record<string, ExternalDelivery>;

  constructor(
    connection: Connection,
    collectionNames: string[],
    private readonly log: Logger,
    options: {
      intervalMs?: number;
      maxIdleMs?: number;
      /** Runs before each sweep (e.g. to finish half-applied claims). */
      beforeSweep?: () => Promise<void>;
      /** Deliveries to outside systems, by destination name. */
      external?: Record<string, ExternalDelivery>;
    } = {},
  ) {
    this.collections = collectionNames.map((name) => connection.db!.collection(name));
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
      for (const collection of this.collections) {
        for await (const doc of collection.find({ [OUTBOX_FIELD]: { $exists: true, $ne: [] } })) {
          found = true;
          await this.deliverOutbox(collection, doc);
        }
      }
      this.foundPending = found;
    } catch (error) {
      this.log.warn({ err: error }, 'outbox sweep failed; will retry');
    }
  }

  /**
   * Delivers one document's events. Order is kept per destination: after a
   * failure, later events to the same destination wait, while events to other
   * destinations (other departments) still go out.
   */
  private async deliverOutbox(collection: mongo.Collection<mongo.Document>, doc: mongo.Document): Promise<void> {
    const blocked = new Set<string>();
    for (const event of doc[OUTBOX_FIELD] as PlatformEvent[]) {
      if (blocked.has(event.destination)) continue;
      try {
        await (this.external[event.destination] ?? deliverEvent)(event);
      } catch (error) {
        this.logFailure(event, error);
        blocked.add(event.destination);
        continue;
      }
      // Pull the exact element we delivered (FerretDB's $pull matches whole elements).
      await collection.updateOne({ _id: doc._id }, { $pull: { [OUTBOX_FIELD]: event } } as mongo.Document);
      this.log.info({ eventId: event.id, type: event.type, to: event.destination }, 'event delivered');
    }
  }

  private logFailure(event: PlatformEvent, error: unknown): void {
    const now = Date.now();
    if (now - this.lastFailureLog < 5000) return;
    this.lastFailureLog = now;
    this.log.warn({ eventId: event.id, type: event.type, to: event.destination, err: String(error) }, 'event delivery failed; will retry');
  }
}

export type EventHandler = (event: PlatformEvent) => Promise<void>;

/**
 * Applies incoming events at most once in effect: handlers are written to be
 * idempotent, and a `processed_events` record (unique by event id) lets a
 * redelivery be acknowledged without running the handler again.
 */
export class EventInbox {
  private readonly processed: mongo.Collection<{ _id: string; type: string; processedAt: Date }>;

  constructor(
    connection: Connection,
    private readonly serviceName: string,
    private readonly handlers: Record<string, EventHandler>,
    private readonly log: Logger,
    /** Handlers may write events of their own: send them without waiting for a poll. */
    private readonly kickOutbox: () => void = () => {},
  ) {
    this.processed = connection.db!.collection('processed_events');
  }

  async receive(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
    let event: PlatformEvent;
    try {
      event = await verifyEvent(token, this.serviceName);
    } catch {
      return { status: 401, body: { error: 'invalid event signature' } };
    }
    if (await this.processed.findOne({ _id: event.id })) {
      return { status: 200, body: { duplicate: true } };
    }
    const handler = this.handlers[event.type];
    if (!handler) return { status: 400, body: { error: `no handler for ${event.type}` } };
    await handler(event);
    await this.processed.updateOne(
      { _id: event.id },
      { $setOnInsert: { type: event.type, processedAt: new Date() } },
      { upsert: true },
    );
    this.log.info({ eventId: event.id, type: event.type, from: event.source }, 'event applied');
    this.kickOutbox();
    return { status: 200, body: { applied: true } };
  }
}
