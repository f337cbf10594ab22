import { count, defineConfig, millis, secret, url } from '../../shared/config';

/** The applications subgraph's own settings (beyond every subgraph's, shared/config.ts). */
export const applicationsConfig = defineConfig(
  'applications',
  {
    NOTIFIER_URL: url('the notification sender (POST /messages)').optional(),
    NOTIFIER_TOKEN: secret('the token for the notification sender', 16).optional(),
    SUPPLEMENT_WORKING_DAYS: count(10),
    WITHDRAWAL_WAIT_MS: millis(2500),
  },
  (c) => (c.NOTIFIER_URL && !c.NOTIFIER_TOKEN ? ['NOTIFIER_TOKEN: missing: NOTIFIER_URL is set, and the sender needs a token'] : []),
);
