import { rmSync } from 'node:fs';
import type { RunningDatabase } from './launcher';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as Record<string, unknown>).__testDatabase as { database: RunningDatabase; dataDir: string } | undefined;
  if (!started) return;
  await started.database.stop();
  rmSync(started.dataDir, { recursive: true, force: true });
}
