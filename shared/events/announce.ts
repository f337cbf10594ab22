import type { mongo } from 'mongoose';

/**
 * Hands each pending document (one with events to send or effects to complete)
 * that this process inserts straight to the relay of its database, so the
 * common path needs no query: the relay's sweeps only catch what a crash or a
 * failed delivery left behind. One relay per database; none registered, nothing happens.
 */
type Listener = (collection: string, doc: mongo.Document) => void;
const listeners = new Map<string, Listener>();

export function onPendingInserted(databaseName: string, listener: Listener): () => void {
  listeners.set(databaseName, listener);
  return () => {
    if (listeners.get(databaseName) === listener) listeners.delete(databaseName);
  };
}

export function announceInserted(collection: { dbName: string; collectionName: string }, doc: object): void {
  listeners.get(collection.dbName)?.(collection.collectionName, doc as mongo.Document);
}
