import { request } from 'undici';

/** Database commands a service has sent so far, summed over command names (from its /metrics); `only` picks one command, e.g. `find:sweep`. */
export async function databaseCommands(serviceUrl: string, only?: string): Promise<number> {
  const response = await request(`${serviceUrl}/metrics`);
  const text = await response.body.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('yiye_db_commands_total{') && (!only || line.includes(`command="${only}"`)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** Runs `work` and returns how many database commands (or only those of one command) each service sent meanwhile. */
export async function countDatabaseCommands(serviceUrls: Record<string, string>, work: () => Promise<void>, only?: string): Promise<Record<string, number>> {
  const count = async () => Object.fromEntries(await Promise.all(Object.entries(serviceUrls).map(async ([n, u]) => [n, await databaseCommands(u, only)] as const)));
  const before = await count();
  await work();
  const after = await count();
  return Object.fromEntries(Object.keys(serviceUrls).map((n) => [n, after[n] - before[n]]));
}

/** Waits until the services send no database command for `windowMs` (outbox deliveries settled), so a count measures only what follows. */
export async function waitForQuiet(serviceUrls: Record<string, string>, windowMs = 500, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const counts = await countDatabaseCommands(serviceUrls, () => new Promise((r) => setTimeout(r, windowMs)));
    if (Object.values(counts).every((n) => n === 0)) return;
  }
  throw new Error('services did not settle');
}

/** The sum of a Prometheus metric's samples whose labels include these, in a `/metrics` text. */
export const metricValue = (text: string, name: string, labels: Record<string, string>) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
