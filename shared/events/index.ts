export { newEvent, externalEvent, outbox, signEvent, verifyEvent, checkEventKeys, OUTBOX_QUEUE, type OutboxEntry, type OutboxFields, type PlatformEvent } from './event';
export { EVENT_CONTRACT, EventRefused, contractProblem, type EventPayload, type EventType } from './contract';
export { OutboxRelay, RELAY_INDEXES, deliverEvent, InProgress, PermanentRefusal, type ExternalDelivery, type OutboxSource } from './relay';
export { EventInbox, INBOX_INDEXES, type EventHandler } from './inbox';
