export { newEvent, outbox, signEvent, verifyEvent, OUTBOX_QUEUE, type OutboxEntry, type OutboxFields, type PlatformEvent } from './event';
export { OutboxRelay, deliverEvent, InProgress, PermanentRefusal, type ExternalDelivery, type OutboxSource } from './relay';
export { EventInbox, type EventHandler } from './inbox';
