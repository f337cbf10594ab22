import type { Connection, mongo } from 'mongoose';
import { outbox, type OutboxFields, type PlatformEvent } from './events';
import { insertPending } from './records';
import { WorkingDayCalendar, type YearSchedule } from './working-days';

/**
 * The official schedules an admin has loaded (each service keeps the copy it
 * was sent), and the working-day calendar built from them plus the library's.
 * Every load is its own record; for each year the latest load counts. Rebuilt
 * at most once every few seconds, so a newly loaded year takes effect without
 * a restart.
 */
export interface ScheduleDoc extends YearSchedule, Partial<OutboxFields> {
  _id: string;
  loadedAt: Date;
  loadedBy: string;
}

const calendars = new WeakMap<Connection, { calendar: WorkingDayCalendar; builtAt: number }>();

export function schedules(db: Connection): mongo.Collection<ScheduleDoc> {
  return db.db!.collection('calendar_schedules');
}

/** The schedule in force for each year: the latest loaded. */
export async function currentSchedules(db: Connection): Promise<ScheduleDoc[]> {
  const latest = new Map<number, ScheduleDoc>();
  for (const doc of await schedules(db).find({}).toArray()) {
    const known = latest.get(doc.year);
    if (!known || known.loadedAt < doc.loadedAt) latest.set(doc.year, doc);
  }
  return [...latest.values()].sort((a, b) => a.year - b.year);
}

export async function calendarFor(db: Connection): Promise<WorkingDayCalendar> {
  const cached = calendars.get(db);
  if (cached && Date.now() - cached.builtAt < 5000) return cached.calendar;
  const docs = await currentSchedules(db);
  const calendar = new WorkingDayCalendar(docs.map(({ year, holidays, workdays, source }) => ({ year, holidays, workdays, source })));
  calendars.set(db, { calendar, builtAt: Date.now() });
  return calendar;
}

/**
 * Records a load of a year's schedule, with the events that pass it on; `id`
 * (the event that brought it) makes a redelivery add nothing. The next read rebuilds the calendar.
 */
export async function saveSchedule(db: Connection, schedule: YearSchedule, by: string, options: { id?: string; events?: PlatformEvent[] } = {}): Promise<void> {
  const loadedAt = new Date();
  await insertPending(db.db!, schedules(db), {
    _id: options.id ?? `${schedule.year}#${loadedAt.getTime()}#${Math.random().toString(36).slice(2, 8)}`,
    ...schedule,
    loadedAt,
    loadedBy: by,
    ...(options.events?.length ? outbox(options.events) : {}),
  });
  calendars.delete(db);
}
