import { request } from 'undici';
import { externalEvent, outbox, OUTBOX_QUEUE, type OutboxEntry, type OutboxFields, type PlatformEvent } from '../../shared/events';
import { appendStep, byId, insertPending, readLog, stepId } from '../../shared/records';
import type { ApplicationStore } from './store';
import { applicationsConfig } from './config';
import { cityCallback } from './city-intake';

/**
 * What the applicant is told (acceptance, supplement notice, refusal, each
 * decision, the permit's issue): each application's own log of notifications
 * (`<applicationId>#<n>`), and a send through the pluggable sender (an SMS
 * gateway or the 京通 message service in production; NOTIFIER_URL) carried in
 * the record's outbox, so nothing is lost while the sender is down.
 */
export const NOTIFIER = 'notifier';

export interface NotificationDoc extends OutboxFields {
  _id: string;
  seq: number;
  /** What it is about, once per application (a redelivered event adds nothing). */
  key: string;
  applicationId: string;
  creditCode: string;
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  at: Date;
  /** Whether a sender is configured. */
  viaSender: boolean;
}

export interface NotificationText {
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
}

/** Records a notification once per `key` for the application, with its send when a sender is configured. */
export async function notify(store: ApplicationStore, app: { _id: string; creditCode: string }, text: NotificationText, key: string): Promise<void> {
  // An application the city platform handed over: the city is told too (city-intake.ts). Read once, not on each retry of the insert.
  const doc = applicationsConfig().CITY_CALLBACK_URL ? await byId(store.applications, app._id) : null;
  await appendStep(
    async () => {
      const log = await readLog(store.notifications, (n) => stepId(app._id, n), 6);
      return { state: log, seq: log.length };
    },
    (log) => (log.some((n) => n.key === key) ? null : true),
    async (_, seq) => {
      const id = stepId(app._id, seq);
      const at = new Date();
      const send: PlatformEvent[] = applicationsConfig().NOTIFIER_URL
        ? [externalEvent('NotificationSend', 'applications', NOTIFIER, { notificationId: id, creditCode: app.creditCode, ...text }, `NotificationSend:${app._id}:${key}`)]
        : [];
      const callback = doc && cityCallback(doc, { key, seq, at, ...text });
      return insertPending(store.db, store.notifications, {
        _id: id,
        seq,
        key,
        applicationId: app._id,
        creditCode: app.creditCode,
        ...text,
        at,
        viaSender: send.length > 0,
        ...outbox(callback ? [...send, callback] : send),
      });
    },
  );
}

export async function notificationsOf(store: ApplicationStore, applicationId: string): Promise<NotificationDoc[]> {
  return readLog(store.notifications, (n) => stepId(applicationId, n), 6);
}

/** Where a notification stands: only recorded (no sender), waiting in the outbox for the sender, or sent. */
export async function deliveryOf(store: ApplicationStore, doc: NotificationDoc): Promise<'RECORDED' | 'PENDING' | 'SENT'> {
  if (!doc.viaSender) return 'RECORDED';
  return (await byId(store.db.collection<OutboxEntry>(OUTBOX_QUEUE), `notifications/${doc._id}`)) ? 'PENDING' : 'SENT';
}

/** The sender: POST to NOTIFIER_URL with the event id as idempotency key; not 2xx throws, so it is retried. */
export async function sendNotification(event: PlatformEvent): Promise<void> {
  const { NOTIFIER_URL: base, NOTIFIER_TOKEN: token } = applicationsConfig();
  if (!base) throw new Error('NOTIFIER_URL is not set');
  const response = await request(`${base.replace(/\/$/, '')}/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': event.id,
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify(event.payload),
    headersTimeout: 10000,
    bodyTimeout: 10000,
  });
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`notifier answered ${response.statusCode}: ${text.slice(0, 200)}`);
}
