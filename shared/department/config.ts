import { defineConfig, millis } from '../config';

/** A department subgraph's own settings (beyond every subgraph's, shared/config.ts). */
export const departmentConfig = defineConfig('department', {
  LAPSE_INTERVAL_MS: millis(60_000),
});
