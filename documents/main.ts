import '../shared/no-telemetry';
import '../shared/tracing';
import { ConfigError } from '../shared/config';
import { documentsConfig } from './config';
import { startDocuments } from './server';

async function main(): Promise<void> {
  const documents = await startDocuments(documentsConfig().PORT);
  const shutdown = () => {
    documents.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('documents failed to start:', error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
