import type { Connection, mongo } from 'mongoose';
import type { PlatformEvent } from './events';
import { WorkingDayCalendar, type YearSchedule } from './working-days';

/**
 * The official schedules an admin has loaded (each service keeps the copy it
 * was sent), and the working-day calendar built from them plus the library's.
 * Rebuilt at most once every few seconds, so a newly loaded year takes effect
 * without a restart.
 */
export interface ScheduleDoc extends YearSchedule {
  _id: string; // the year
  loadedAt: Date;
  loadedBy: string;
  _outbox?: PlatformEvent[];
}

const calendars = new WeakMap<Connection, { calendar: WorkingDayCalendar; builtAt: number }>();

export function schedules(db: Connection): mongo.Collection<ScheduleDoc> {
  return db.db!.collection('calendar_schedules');
}

export async function calendarFor(db: Connection): Promise<WorkingDayCalendar> {
  const cached = calendars.get(db);
  if (cached && Date.now() - cached.builtAt < 5000) return cached.calendar;
  const docs = await schedules(db).find({}).toArray();
  const calendar = new WorkingDayCalendar(docs.map(({ year, holidays, workdays, source }) => ({ year, holidays, workdays, source })));
  calendars.set(db, { calendar, builtAt: Date.now() });
  return calendar;
}

/** Stores a schedule (replacing that year's), with events to pass it on; the next read rebuilds the calendar. */
export async function saveSchedule(db: Connection, schedule: YearSchedule, by: string, events: PlatformEvent[] = []): Promise<void> {
  await schedules(db).replaceOne(
    { _id: String(schedule.year) },
    { ...schedule, loadedAt: new Date(), loadedBy: by, ...(events.length ? { _outbox: events } : {}) },
    { upsert: true },
  );
  calendars.delete(db);
}
