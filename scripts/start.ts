import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../shared/keys';
import { REPO_ROOT, services } from '../shared/registry';
import { startDatabase } from './lib/database';
import { generateSecrets, Platform, type PlatformSecrets } from './lib/platform';

/**
 * `npm start`: the database (yours via MONGODB_URI, or an embedded FerretDB),
 * every subgraph and the gateway, each its own process, logs under .data/logs.
 * Ctrl-C stops everything.
 */
export const DEV_SECRETS_FILE = join(REPO_ROOT, '.data', 'dev-secrets.json');

export async function devSecrets(): Promise<PlatformSecrets> {
  mkdirSync(join(REPO_ROOT, '.data'), { recursive: true });
  const existing = existsSync(DEV_SECRETS_FILE) ? (JSON.parse(readFileSync(DEV_SECRETS_FILE, 'utf8')) as Partial<PlatformSecrets>) : {};
  const label = `dev-${new Date().toISOString().slice(0, 10)}`;
  const fresh = await generateSecrets(label);
  const secrets: PlatformSecrets = {
    jwt: existing.jwt ?? fresh.jwt,
    identityKeys: existing.identityKeys ?? fresh.identityKeys,
    eventKeys: { ...fresh.eventKeys, ...existing.eventKeys },
    permitKeys: existing.permitKeys ?? fresh.permitKeys,
  };
  // A department added since the file was written gets its own key.
  for (const s of services()) secrets.eventKeys[s.name] ??= await generateSigningKey(`${s.name}-${label}`);
  writeFileSync(DEV_SECRETS_FILE, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function main() {
  const gatewayPort = Number(process.env.GATEWAY_PORT ?? 4000);
  const database = await startDatabase({ port: Number(process.env.FERRETDB_PORT ?? 27018), dataDir: join(REPO_ROOT, '.data', 'ferretdb') });
  const platform = new Platform({
    mongoUri: database.uri,
    dbPrefix: process.env.DB_PREFIX ?? 'yiye_',
    gatewayPort,
    documentsPort: Number(process.env.DOCUMENTS_PORT ?? 4080),
    secrets: await devSecrets(),
    logDir: join(REPO_ROOT, '.data', 'logs'),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await platform.stop();
    await database.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await platform.start();
  } catch (error) {
    console.error(String(error));
    await platform.stop();
    await database.stop();
    process.exit(1);
  }
  for (const [name, proc] of platform.processes) {
    proc.child.once('exit', (code) => {
      if (!stopping) console.error(`${name} exited (${code}); see .data/logs/${name}.log`);
    });
  }
  console.log(`
一业一证 platform is up (database: ${database.uri})
  GraphQL   ${platform.gatewayUrl}/graphql
  GraphiQL  ${platform.gatewayUrl}/graphiql
  health    ${platform.gatewayUrl}/readyz
  documents ${platform.documentsUrl}  (/scan/<code>, /permits/<code>/certificate.pdf, /guides/<industry>)
  logs      .data/logs/

A token for each role (paste as header  Authorization: Bearer <token>):
  npm run token -- applicant 91110113MA01ABCD3U   (bound to a credit code)
  npm run token -- clerk
  npm run token -- reviewer market-regulation    (bound to a department)
  npm run token -- issuer | analyst | admin
The walk-through:  npm run demo
Ctrl-C stops everything.`);
}

if (require.main === module) void main();
