import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, jwtVerify, type JWK, type JWTVerifyGetKey, type KeyLike } from 'jose';
import { subgraphConfig } from '../config';
import { privateSigningKey, verifyingKeySet } from '../keys';
import type { EventPayload, EventType } from './contract';

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

/** An event between services, as the contract (contract.ts) describes it. */
export function newEvent<T extends EventType>(type: T, source: string, destination: string, payload: EventPayload<T>, id: string = randomUUID()): PlatformEvent {
  return { id, type, source, destination, occurredAt: new Date().toISOString(), payload: payload as Record<string, unknown> };
}

/** A delivery to a system outside the platform (the notifier, the city e-licence library), sent by the relay as its own. */
export function externalEvent(type: string, source: string, destination: string, payload: Record<string, unknown>, id: string): PlatformEvent {
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
  /**
   * The relay that sends this document's events, until `leaseUntil`: replicas
   * of a service share the queue, and one relay at a time works an entry. The
   * writer's own relay holds it from the start; another takes it over only
   * once the lease has run out (its holder died, or could not renew).
   */
  leasedBy?: string;
  leaseUntil?: Date;
}

/**
 * Each service signs its own events with its own Ed25519 key (EVENT_SIGNING_KEY,
 * a private JWK); receivers verify against the sender's public keys
 * (EVENT_VERIFY_KEYS: `{ "<service>": [public JWKs] }`), so no service can send
 * as another. The token names the sender (`iss`) and the receiver (`aud`).
 */
let ownKey: Promise<{ kid: string; key: KeyLike | Uint8Array }> | undefined;
function eventSigner() {
  ownKey ??= privateSigningKey(subgraphConfig().EVENT_SIGNING_KEY as JWK, 'EVENT_SIGNING_KEY');
  return ownKey;
}

const verifiers = new Map<string, JWTVerifyGetKey>();
function verifierFor(service: string): JWTVerifyGetKey {
  let verifier = verifiers.get(service);
  if (!verifier) {
    const keys = subgraphConfig().EVENT_VERIFY_KEYS[service] as JWK[] | undefined;
    if (!keys?.length) throw new Error(`no event keys for ${service}`);
    verifier = verifyingKeySet(keys);
    verifiers.set(service, verifier);
  }
  return verifier;
}

/** Checked at start: the service's own event key must import (its shape is checked with the configuration). */
export async function checkEventKeys(): Promise<void> {
  await eventSigner();
}

export async function signEvent(event: PlatformEvent, signingKey?: JWK): Promise<string> {
  const { kid, key } = signingKey ? await privateSigningKey(signingKey, 'signing key') : await eventSigner();
  return new SignJWT({ event })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setIssuer(event.source)
    .setAudience(event.destination)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

/** Verifies an event for `destination` against its sender's key; the sender named inside must be the signer. */
export async function verifyEvent(token: string, destination: string): Promise<PlatformEvent> {
  const sender = decodeJwt(token).iss;
  if (typeof sender !== 'string') throw new Error('event without a sender');
  const { payload } = await jwtVerify(token, verifierFor(sender), { issuer: sender, audience: destination, algorithms: ['EdDSA'], requiredClaims: ['exp', 'iat'] });
  const event = payload.event as PlatformEvent;
  if (!event || event.source !== sender || event.destination !== destination) throw new Error('event does not match its signature');
  return event;
}
