import { z } from 'zod';
import { count, defineConfig, ed25519PrivateJwk, ed25519PublicJwk, json, millis, secret, url } from '../../shared/config';

/** The applications subgraph's own settings (beyond every subgraph's, shared/config.ts). */
export const applicationsConfig = defineConfig(
  'applications',
  {
    NOTIFIER_URL: url('the notification sender (POST /messages)').optional(),
    NOTIFIER_TOKEN: secret('the token for the notification sender', 16).optional(),
    SUPPLEMENT_WORKING_DAYS: count(10),
    WITHDRAWAL_WAIT_MS: millis(2500),
    // Sources holding materials the applicant need not provide, by source (held-sources.ts): { "elicence": { "url", "token" }, … }.
    HELD_SOURCES: json('the sources of materials the government holds, { "<source>": { "url": "…", "token": "…" } }', z.partialRecord(z.enum(['elicence', 'population']), z.object({ url: z.url(), token: z.string().min(16) }))).optional(),
    // 北京市统一申办受理平台（京通）: hand-overs in, status callbacks out (subgraphs/applications/city-intake.ts).
    CITY_PLATFORM_KEYS: json('the city intake platform\'s public Ed25519 keys its hand-overs are signed with, { "keys": [JWK] }', z.object({ keys: z.array(ed25519PublicJwk).min(1, 'needs at least one key') })).optional(),
    CITY_PLATFORM_ISSUER: z.string().min(1).default('beijing-unified-intake'),
    CITY_CALLBACK_URL: url('the city intake platform\'s status callback endpoint').optional(),
    CITY_CALLBACK_SIGNING_KEY: json('this service\'s own Ed25519 private JWK for status callbacks to the city platform', ed25519PrivateJwk).optional(),
  },
  (c) => [
    ...(c.NOTIFIER_URL && !c.NOTIFIER_TOKEN ? ['NOTIFIER_TOKEN: missing: NOTIFIER_URL is set, and the sender needs a token'] : []),
    ...(c.CITY_PLATFORM_KEYS && !c.CITY_CALLBACK_URL ? ['CITY_CALLBACK_URL: missing: CITY_PLATFORM_KEYS is set, and every hand-over is answered with status callbacks'] : []),
    ...(c.CITY_CALLBACK_URL && !c.CITY_CALLBACK_SIGNING_KEY ? ['CITY_CALLBACK_SIGNING_KEY: missing: CITY_CALLBACK_URL is set, and every callback is signed'] : []),
  ],
);
