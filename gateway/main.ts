import '../shared/no-telemetry';
import '../shared/tracing';
import { ConfigError } from '../shared/config';
import { gatewayConfig } from './config';
import { startGateway } from './server';

async function main(): Promise<void> {
  const gateway = await startGateway(gatewayConfig().PORT);
  const shutdown = () => {
    gateway.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  // A configuration problem is said plainly, naming each variable; anything else with its stack.
  console.error('gateway failed to start:', error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
