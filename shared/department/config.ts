import { defineConfig, millis } from '../config';

/** A department subgraph's own settings (beyond every subgraph's, shared/config.ts). */
export const departmentConfig = defineConfig('department', {
  /**
   * Licences past their end date are lapsed at start and once a Beijing day
   * (an end date passes only at midnight); this is how often the check runs
   * besides, a sweep over the licences each time. Tests shorten it.
   */
  LAPSE_INTERVAL_MS: millis(86_400_000),
});
