import { z } from 'zod';
import { defineConfig, ed25519PrivateJwk, json, secret, url } from '../../shared/config';

/** The permit subgraph's own settings (beyond every subgraph's, shared/config.ts). */
export const permitConfig = defineConfig(
  'permit',
  {
    PERMIT_SIGNING_KEYS: json('Ed25519 private JWKs signing QR codes; the first signs, all are published', z.array(ed25519PrivateJwk).min(1, 'needs at least one key')),
    PUBLIC_BASE_URL: url('the public documents service, put in QR codes').default('http://127.0.0.1:4080'),
    CITY_LIBRARY_URL: url('the city e-licence library').optional(),
    CITY_LIBRARY_TOKEN: secret('the token for the city e-licence library', 16).optional(),
  },
  (c) => (c.CITY_LIBRARY_URL && !c.CITY_LIBRARY_TOKEN ? ['CITY_LIBRARY_TOKEN: missing: CITY_LIBRARY_URL is set, and the library needs a token'] : []),
);
