import { request } from 'undici';
import type { PlatformEvent } from '../../shared/events';
import { permitConfig } from './config';

/**
 * Pushes one permit version to the city e-licence library (市电子证照库):
 * `PUT <CITY_LIBRARY_URL>/licences/<identifier>` with the GB/T 36903 metadata,
 * the event id as `Idempotency-Key` (a retried push is recognised) and the
 * library's token. Anything but 2xx throws, so the event stays in the outbox
 * and is retried until the library takes it.
 */
export async function pushToCityLibrary(event: PlatformEvent): Promise<void> {
  const { CITY_LIBRARY_URL: base, CITY_LIBRARY_TOKEN: token } = permitConfig();
  if (!base) throw new Error('CITY_LIBRARY_URL is not set');
  const { metadata, event: kind } = event.payload as { metadata: { identifier: string }; event: string };
  const response = await request(`${base.replace(/\/$/, '')}/licences/${encodeURIComponent(metadata.identifier)}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': event.id,
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ ...metadata, event: kind }),
    headersTimeout: 10000,
    bodyTimeout: 10000,
  });
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new Error(`city library answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
}
