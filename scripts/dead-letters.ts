import { connectDatabase } from '../shared/db';
import { outbox, type PlatformEvent } from '../shared/events';
import { insertPending } from '../shared/records';
import { services } from '../shared/registry';

/**
 * `npm run events:dead-letters -- <service> [replay <eventId>]`: the events a
 * service's relay parked because their destination refused them for good
 * (HTTP 422: unknown, malformed, or about something the sender does not own),
 * and, once the cause is fixed, sending one again: it goes back into the
 * service's outbox as a replay (its own id, so the receiver applies it once).
 * MONGODB_URI and DB_PREFIX as for the services; defaults: `npm start`'s database.
 */
async function main() {
  const [service, command, eventId] = process.argv.slice(2);
  if (!services().some((s) => s.name === service) || (command && command !== 'replay')) {
    console.error('usage: npm run events:dead-letters -- <service> [replay <eventId>]');
    process.exit(2);
  }
  process.env.MONGODB_URI ??= `mongodb://127.0.0.1:${process.env.FERRETDB_PORT ?? 27018}/`;
  const db = await connectDatabase(service);
  try {
    const letters = db.db!.collection<{ _id: string; event: PlatformEvent; from: string; error: string; at: Date }>('dead_letters');
    if (!command) {
      const parked = await letters.find({}).sort({ at: 1 }).toArray();
      for (const l of parked) console.log(`${l.at.toISOString()}  ${l._id}  ${l.event.type} → ${l.event.destination}\n    ${l.error}`);
      console.log(`${parked.length} parked event(s) in ${service}`);
      return;
    }
    const letter = await letters.findOne({ _id: eventId });
    if (!letter) throw new Error(`no parked event ${eventId} in ${service}`);
    const replays = db.db!.collection<{ _id: string; replayOf: string; at: Date }>('event_replays');
    const at = new Date();
    await insertPending(db.db!, replays, { _id: `${eventId}#${at.getTime()}`, replayOf: eventId, at, ...outbox([letter.event]) });
    console.log(`${eventId} queued again in ${service}'s outbox; its relay sends it within a sweep`);
  } finally {
    await db.close();
  }
}

void main().catch((error) => {
  console.error(String(error.message ?? error));
  process.exit(1);
});
