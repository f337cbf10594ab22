export { newEvent, outbox, signEvent, verifyEvent, type OutboxFields, type PlatformEvent } from './event';
export { OutboxRelay, deliverEvent, InProgress, PermanentRefusal, type ExternalDelivery, type OutboxSource } from './relay';
export { EventInbox, type EventHandler } from './inbox';
