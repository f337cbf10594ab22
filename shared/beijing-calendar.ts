/**
 * Beijing calendar days: the one place that turns an instant into the date it
 * is in Beijing, and dates into the forms the platform writes them in.
 *
 * Every date the platform stores, shows or prints (a licence's validity, the
 * date in an application or licence number, the issue date on a permit, a
 * working-day deadline) is a Beijing calendar day, whatever the host's time
 * zone: Beijing is UTC+8 all year (no daylight saving since 1991), so a
 * decision at 07:30 Beijing time (23:30 UTC the day before) is dated the same
 * day as one at 10:00. Dates are plain 'YYYY-MM-DD' strings; arithmetic is on
 * day numbers (days since 1970-01-01) with UTC methods only.
 */

export const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Milliseconds of 00:00 UTC on that day; setUTCFullYear avoids Date.UTC's 0–99 → 1900s quirk. */
function utcMs(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** Day number of a real 'YYYY-MM-DD' date, or undefined (31 February is not a date). */
export function tryDayNumber(date: unknown): number | undefined {
  if (typeof date !== 'string') return undefined;
  const match = DATE_PATTERN.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const ms = utcMs(year, month, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return ms / DAY_MS;
}

/** Day number of a 'YYYY-MM-DD' date; a RangeError naming `what` otherwise. */
export function dayNumber(date: string, what = 'date'): number {
  const n = tryDayNumber(date);
  if (n === undefined) throw new RangeError(`${what} must be a real calendar date written YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return n;
}

/** 'YYYY-MM-DD' of a day number. */
export function dateOf(dayNum: number): string {
  const d = new Date(dayNum * DAY_MS);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}

/** The Monday starting the week of a day number (day 0, 1970-01-01, was a Thursday). */
export function mondayOf(dayNum: number): number {
  return dayNum - ((((dayNum + 3) % 7) + 7) % 7);
}

/** The Beijing day number of an instant. */
export function beijingDayNumber(instant: Date | string): number {
  const ms = new Date(instant).getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${JSON.stringify(instant)}`);
  return Math.floor((ms + BEIJING_OFFSET_MS) / DAY_MS);
}

/** 'YYYY-MM-DD' of that instant (a Date or an ISO timestamp) on the Beijing calendar. */
export function beijingDate(instant: Date | string): string {
  return dateOf(beijingDayNumber(instant));
}

/** Today on the Beijing calendar. */
export function beijingToday(): string {
  return beijingDate(new Date());
}

/** 'YYYYMMDD': the date as it appears inside application and licence numbers. */
export function compactDate(date: string): string {
  dayNumber(date);
  return date.replace(/-/g, '');
}

/** '2025年3月14日': a date as printed on a certificate or shown on the scan page. */
export function chineseDate(date: string): string {
  dayNumber(date);
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

/** The same day `years` later; 29 February falls on 1 March in a common year. */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  dayNumber(date);
  return dateOf(utcMs(y + years, m, d) / DAY_MS);
}

/**
 * The last day of a licence issued at `issuedAt` for `years` (99 or more: no end):
 * the same Beijing calendar day `years` later, whatever the hour of issue.
 */
export function validUntil(issuedAt: Date, years: number): string | null {
  return years >= 99 ? null : addYears(beijingDate(issuedAt), years);
}

/** The day number of 1 January of a year. */
export function firstDayOf(year: number): number {
  return utcMs(year, 1, 1) / DAY_MS;
}

/** The year of a day number. */
export function yearOf(dayNum: number): number {
  return new Date(dayNum * DAY_MS).getUTCFullYear();
}
