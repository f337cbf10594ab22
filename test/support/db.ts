import mongoose, { type Connection } from 'mongoose';
import type { Platform } from './launcher';

/**
 * A test's own connection to one service's database, for what only time can
 * do (a licence reaching its end date) and for counting what was written.
 * Never used to stand in for a service's API.
 */
export async function serviceDatabase(platform: Platform, service: string): Promise<Connection> {
  const connection = mongoose.createConnection(platform.options.mongoUri, {
    dbName: `${platform.options.dbPrefix}${service.replace(/-/g, '_')}`,
  });
  await connection.asPromise();
  return connection;
}
