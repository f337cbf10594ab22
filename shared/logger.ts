import pino from 'pino';
import { loggingConfig } from './config';

/** One JSON logger per process; `service` names the process in every line. */
export function createLogger(service: string) {
  return pino({ name: service, level: loggingConfig().LOG_LEVEL });
}
export type Logger = ReturnType<typeof createLogger>;
