import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { newEvent, outbox, type OutboxFields, type PlatformEvent } from '../../shared/events';
import { insertOnce } from '../../shared/records';
import type { ApplicationStore } from './store';

/**
 * What the applicant is told (acceptance, supplement notice, refusal, each
 * decision, the permit's issue): a record they can query, and a send through
 * the pluggable sender (an SMS gateway or the 京通 message service in
 * production; NOTIFIER_URL) carried in the record's outbox, so nothing is lost
 * while the sender is down.
 */
export const NOTIFIER = 'notifier';

export interface NotificationDoc extends OutboxFields {
  _id: string;
  applicationId: string;
  creditCode: string;
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  at: Date;
  /** Whether a sender is configured; sent once the relay has delivered it. */
  viaSender: boolean;
}

/** Where a notification stands: only recorded (no sender), waiting for the sender, or sent. */
export function deliveryOf(doc: NotificationDoc): 'RECORDED' | 'PENDING' | 'SENT' {
  if (!doc.viaSender) return 'RECORDED';
  return doc._pending ? 'PENDING' : 'SENT';
}

export interface NotificationText {
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
}

/** Records a notification; `key` makes it once per cause (a redelivered event adds nothing). */
export async function notify(
  store: ApplicationStore,
  app: { _id: string; creditCode: string },
  text: NotificationText,
  key: string = randomUUID(),
): Promise<void> {
  const id = `${app._id}:${key}`;
  const send: PlatformEvent[] = process.env.NOTIFIER_URL
    ? [newEvent('NotificationSend', 'applications', NOTIFIER, { notificationId: id, creditCode: app.creditCode, ...text }, `NotificationSend:${id}`)]
    : [];
  await insertOnce(store.notifications, { _id: id, applicationId: app._id, creditCode: app.creditCode, ...text, at: new Date(), viaSender: send.length > 0, ...outbox(send) });
}

/** The sender: POST to NOTIFIER_URL with the event id as idempotency key; not 2xx throws, so it is retried. */
export async function sendNotification(event: PlatformEvent): Promise<void> {
  const base = process.env.NOTIFIER_URL;
  if (!base) throw new Error('NOTIFIER_URL is not set');
  const response = await request(`${base.replace(/\/$/, '')}/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': event.id,
      authorization: `Bearer ${process.env.NOTIFIER_TOKEN ?? ''}`,
    },
    body: JSON.stringify(event.payload),
    headersTimeout: 10000,
    bodyTimeout: 10000,
  });
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`notifier answered ${response.statusCode}: ${text.slice(0, 200)}`);
}
