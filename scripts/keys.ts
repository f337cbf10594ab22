import { generateSigningKey, publicJwk } from '../shared/keys';
import { generatePermitSigningKey } from '../shared/permit-code';
import { services } from '../shared/registry';
import { envName } from './deployment';

/**
 * `npm run keys [-- <label>]`: a fresh set of keys for a deployment, as the
 * environment each process reads (docs/security.md):
 * - the gateway: GATEWAY_IDENTITY_KEYS (private; it alone signs identities);
 * - each service: EVENT_SIGNING_KEY (its own private key, nobody else's);
 * - every service: GATEWAY_IDENTITY_JWKS and EVENT_VERIFY_KEYS (public keys only);
 * - the permit subgraph: PERMIT_SIGNING_KEYS (private; QR codes).
 * With `--env`, the same keys as one env file (`NAME='value'` lines) under the
 * names the deployment files read (each service's own key as
 * EVENT_SIGNING_KEY_<SERVICE>): for `docker compose` (.env) or
 * `kubectl create secret generic --from-env-file`.
 * To rotate, generate with a new label, add the new public keys beside the
 * old ones everywhere, switch the private keys, then drop the old public keys.
 */
async function main() {
  const args = process.argv.slice(2);
  const asEnv = args.includes('--env');
  const label = args.find((a) => !a.startsWith('--')) ?? new Date().toISOString().slice(0, 10);
  const identity = [await generateSigningKey(`gateway-${label}`)];
  const events = Object.fromEntries(await Promise.all(services().map(async (s) => [s.name, await generateSigningKey(`${s.name}-${label}`)] as const)));
  const permit = [await generatePermitSigningKey(`permit-qr-${label}`)];
  // The applications service's own key for status callbacks to the city's intake platform (used once CITY_CALLBACK_URL is set).
  const cityCallback = await generateSigningKey(`city-callback-${label}`);
  const shared = {
    GATEWAY_IDENTITY_JWKS: JSON.stringify({ keys: identity.map(publicJwk) }),
    EVENT_VERIFY_KEYS: JSON.stringify(Object.fromEntries(Object.entries(events).map(([s, k]) => [s, [publicJwk(k)]]))),
  };
  if (asEnv) {
    const variables = {
      ...shared,
      GATEWAY_IDENTITY_KEYS: JSON.stringify(identity),
      PERMIT_SIGNING_KEYS: JSON.stringify(permit),
      CITY_CALLBACK_SIGNING_KEY: JSON.stringify(cityCallback),
      ...Object.fromEntries(Object.entries(events).map(([s, k]) => [`EVENT_SIGNING_KEY_${envName(s)}`, JSON.stringify(k)])),
    };
    // JSON has no single quotes, so single-quoted values are taken literally by both readers.
    console.log(Object.entries(variables).map(([name, value]) => `${name}='${value}'`).join('\n'));
    return;
  }
  const out = {
    'every service (public keys)': shared,
    gateway: { GATEWAY_IDENTITY_KEYS: JSON.stringify(identity) },
    ...Object.fromEntries(Object.entries(events).map(([s, k]) => [s, { EVENT_SIGNING_KEY: JSON.stringify(k), ...(s === 'permit' ? { PERMIT_SIGNING_KEYS: JSON.stringify(permit) } : {}), ...(s === 'applications' ? { CITY_CALLBACK_SIGNING_KEY: JSON.stringify(cityCallback) } : {}) }])),
  };
  console.log(JSON.stringify(out, null, 2));
}

void main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
