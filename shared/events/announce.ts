import type { mongo } from 'mongoose';

/**
 * Hands each pending document (one with events to send or effects to complete)
 * that this process inserts straight to the relay of its database, so the
 * common path needs no query: the relay's sweeps only catch what a crash or a
 * failed delivery left behind. One relay per database; none registered, nothing happens.
 */
type Listener = (collection: string, doc: mongo.Document) => void;
/** Per database: the relay's listener, its id and how long it leases what it is handed. */
const listeners = new Map<string, { listener: Listener; relayId: string; leaseMs: number }>();

export function onPendingInserted(databaseName: string, relay: { relayId: string; leaseMs: number }, listener: Listener): () => void {
  const entry = { listener, ...relay };
  listeners.set(databaseName, entry);
  return () => {
    if (listeners.get(databaseName) === entry) listeners.delete(databaseName);
  };
}

/** The lease a document inserted now is queued with: this process's relay's, if it runs one. */
export function leaseForInsert(databaseName: string): { leasedBy: string; leaseUntil: Date } | undefined {
  const relay = listeners.get(databaseName);
  return relay && { leasedBy: relay.relayId, leaseUntil: new Date(Date.now() + relay.leaseMs) };
}

export function announceInserted(collection: { dbName: string; collectionName: string }, doc: object): void {
  listeners.get(collection.dbName)?.listener(collection.collectionName, doc as mongo.Document);
}
