import mongoose, { type Connection } from 'mongoose';

/**
 * Each subgraph has its own database on the server named by MONGODB_URI:
 * `<DB_PREFIX><service>` (dashes become underscores). DB_PREFIX lets tests
 * run isolated platforms on one server.
 */
export function databaseName(service: string): string {
  return `${process.env.DB_PREFIX ?? 'yiye_'}${service.replace(/-/g, '_')}`;
}

/** Database commands sent by this process, by command name (from the driver's command monitoring). */
export const databaseCommandCounts = new Map<string, number>();
const HANDSHAKE_COMMANDS = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'buildInfo', 'endSessions', 'saslStart', 'saslContinue']);

export async function connectDatabase(service: string): Promise<Connection> {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI must be set (npm start sets it for you)');
  const connection = mongoose.createConnection(uri, {
    dbName: databaseName(service),
    serverSelectionTimeoutMS: 10000,
    // FerretDB has no sessions or transactions; nothing here relies on them.
    autoIndex: true,
    monitorCommands: true,
  });
  connection.getClient().on('commandStarted', (event: { commandName: string }) => {
    if (HANDSHAKE_COMMANDS.has(event.commandName)) return;
    databaseCommandCounts.set(event.commandName, (databaseCommandCounts.get(event.commandName) ?? 0) + 1);
  });
  await connection.asPromise();
  return connection;
}

/** Mongo's duplicate-key error: how a unique-index insert tells us a claim was lost. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 11000;
}
