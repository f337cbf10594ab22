import '../shared/no-telemetry';
import { startGateway } from './server';

const port = Number(process.env.PORT ?? 4000);
startGateway(port).then(
  (gateway) => {
    const shutdown = () => {
      gateway.close().finally(() => process.exit(0));
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  },
  (error) => {
    console.error('gateway failed to start', error);
    process.exit(1);
  },
);
