import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/**
 * Cross-subgraph effects travel as events (design brief, invariant 4). An
 * event is written in the very insert that records the state change (the
 * claim or step document's `_outbox`), delivered at least once by the relay
 * (relay.ts) to the destination's `POST /events`, and applied once in effect
 * by the receiver's inbox (inbox.ts), keyed by the event id.
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

export function newEvent<P extends Record<string, unknown>>(
  type: string,
  source: string,
  destination: string,
  payload: P,
  id: string = randomUUID(),
): PlatformEvent<P> {
  return { id, type, source, destination, occurredAt: new Date().toISOString(), payload };
}

/**
 * The fields a claim or step document carries when it has events to send
 * (`_outbox`) or effects the relay must complete even without events
 * (`_effects`). Such a document is inserted with `insertPending`
 * (shared/records.ts), which first queues it in the service's outbox queue;
 * the relay takes it from there and removes the entry when it is done. The
 * document itself is never written again.
 */
export interface OutboxFields {
  _outbox: PlatformEvent[];
  _effects?: boolean;
}

/** Outbox fields for a new document; `effects` marks one whose effects the relay must complete even without events. */
export function outbox(events: PlatformEvent[], options: { effects?: boolean } = {}): OutboxFields {
  return { _outbox: events, ...(options.effects ? { _effects: true } : {}) };
}

/** The service's outbox queue: one entry per pending document, removed by the relay when it is done. */
export const OUTBOX_QUEUE = 'outbox';

export interface OutboxEntry {
  /** `<collection>/<documentId>` */
  _id: string;
  collection: string;
  docId: string;
  queuedAt: Date;
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
