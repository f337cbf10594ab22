/**
 * Working-day arithmetic on the official Chinese calendar (法定工作日).
 *
 * Administrative time limits ("decision within 20 working days") count working days:
 * Saturdays and Sundays are rest days, public holidays are rest days, and some weekend
 * days are make-up working days (调休上班). The State Council (国务院办公厅) publishes
 * next year's arrangement each November/December.
 *
 * Sources of the arrangement, per year:
 *  1. a schedule loaded by an administrator (`YearSchedule`), which overrides everything
 *     else for its year;
 *  2. otherwise the data shipped in the `chinese-days` package. Its data is one JSON
 *     file (`dist/chinese-days.json`, documented in its README) mapping each date to a
 *     label in three tables: `holidays` (rest days of a holiday period, weekends inside
 *     the period included), `workdays` (make-up working days) and `inLieuDays`. A year is
 *     taken as known to the library when it has at least one `holidays` entry: the
 *     library itself answers any other year as plain weekdays/weekends (it counts
 *     2027-01-01 as a working day), which must never happen silently here.
 *
 * A date in a year that is in neither source raises `UnknownYearError`, so that a
 * deadline is flagged rather than computed on a weekends-only guess.
 *
 * Dates are plain 'YYYY-MM-DD' strings naming Beijing calendar days. Internally a date is
 * a day number (days since 1970-01-01), computed with UTC arithmetic only, so the host
 * time zone never matters.
 *
 * Performance: each year is turned once, lazily, into a table of working-day flags plus
 * cumulative counts, so `isWorkingDay` is an array lookup, `addWorkingDays` walks about
 * 1.4 days per working day, and `workingDaysBetween` costs O(years + pauses) whatever the
 * span. (Measured for comparison: `chinese-days`' own `isWorkday` costs about 1.5 µs per
 * call after warm-up, through its dayjs-like wrapper.) Library tables are shared by all
 * calendar instances.
 */
import { z } from 'zod';
import { dateOf, dayNumber, firstDayOf, tryDayNumber, yearOf } from './beijing-calendar';

/** An official schedule for one year, as an admin loads it when the State Council publishes it. */
export interface YearSchedule {
  year: number;
  /** YYYY-MM-DD rest days of the holiday periods (weekend days inside a period may be listed too). */
  holidays: string[];
  /** YYYY-MM-DD make-up working days, each a Saturday or a Sunday. */
  workdays: string[];
  /** The notice it comes from, e.g. '国务院办公厅关于2027年部分节假日安排的通知'. */
  source: string;
}

/** One refusal of `validateYearSchedule`; same shape as `FieldProblem` in ./errors. */
export interface ScheduleProblem {
  /** Dotted path inside the schedule, e.g. `workdays.1`; '' for the input as a whole. */
  path: string;
  code: string;
  messageZh: string;
  messageEn: string;
}

/** The date range during which a time limit stands still, both ends inclusive. */
export type Pause = [from: string, to: string];

/** Raised for a date whose year has no known official schedule. */
export class UnknownYearError extends Error {
  readonly code = 'UNKNOWN_HOLIDAY_YEAR';
  readonly year: number;
  readonly messageZh: string;
  readonly messageEn: string;

  constructor(year: number) {
    const messageZh = `${year} 年的法定节假日安排尚未载入`;
    const messageEn = `No official holiday schedule is loaded for ${year}`;
    super(`${messageZh} / ${messageEn}`);
    this.name = 'UnknownYearError';
    this.year = year;
    this.messageZh = messageZh;
    this.messageEn = messageEn;
  }
}

// ---------------------------------------------------------------------------
// Weekdays (dates and day numbers: ./beijing-calendar)
// ---------------------------------------------------------------------------

/** 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
function weekdayOf(dayNum: number): number {
  return (((dayNum + 4) % 7) + 7) % 7;
}

const isWeekend = (dayNum: number): boolean => {
  const w = weekdayOf(dayNum);
  return w === 0 || w === 6;
};

// ---------------------------------------------------------------------------
// Per-year tables
// ---------------------------------------------------------------------------

interface YearTable {
  year: number;
  /** Day number of 1 January. */
  first: number;
  /** 1 for a working day, by day of the year (0-based). */
  working: Uint8Array;
  /** cumulative[i] = working days among the first i days of the year. */
  cumulative: Uint16Array;
}

function buildTable(year: number, holidays: ReadonlySet<number>, workdays: ReadonlySet<number>): YearTable {
  const first = firstDayOf(year);
  const length = firstDayOf(year + 1) - first;
  const working = new Uint8Array(length);
  const cumulative = new Uint16Array(length + 1);
  for (let i = 0; i < length; i++) {
    const d = first + i;
    working[i] = workdays.has(d) || (!isWeekend(d) && !holidays.has(d)) ? 1 : 0;
    cumulative[i + 1] = cumulative[i] + working[i];
  }
  return { year, first, working, cumulative };
}

interface RawYear {
  holidays: Set<number>;
  workdays: Set<number>;
}

const LibraryData = z.object({
  holidays: z.record(z.string(), z.string()),
  workdays: z.record(z.string(), z.string()),
});

let libraryYears: Map<number, RawYear> | undefined;
const libraryTables = new Map<number, YearTable>();

/** The library's tables grouped by year, read once on first use. */
function libraryIndex(): Map<number, RawYear> {
  if (libraryYears) return libraryYears;
  const raw: unknown = require('chinese-days/dist/chinese-days.json');
  const parsed = LibraryData.safeParse(raw);
  if (!parsed.success) {
    throw new Error('chinese-days/dist/chinese-days.json no longer has the expected { holidays, workdays } date tables');
  }
  const byYear = new Map<number, RawYear>();
  const add = (table: Record<string, string>, pick: (y: RawYear) => Set<number>) => {
    for (const date of Object.keys(table)) {
      const n = tryDayNumber(date);
      if (n === undefined) throw new Error(`chinese-days data holds an invalid date: ${JSON.stringify(date)}`);
      const year = yearOf(n);
      let y = byYear.get(year);
      if (!y) byYear.set(year, (y = { holidays: new Set(), workdays: new Set() }));
      pick(y).add(n);
    }
  };
  add(parsed.data.holidays, (y) => y.holidays);
  add(parsed.data.workdays, (y) => y.workdays);
  // A year is known only through holiday entries (see the module comment).
  for (const [year, y] of byYear) if (y.holidays.size === 0) byYear.delete(year);
  libraryYears = byYear;
  return byYear;
}

// ---------------------------------------------------------------------------
// The calendar
// ---------------------------------------------------------------------------

function mergePauses(pauses: readonly Pause[]): [number, number][] {
  const ranges = pauses.map(([from, to], i): [number, number] => {
    const a = dayNumber(from, `pauses[${i}][0]`);
    const b = dayNumber(to, `pauses[${i}][1]`);
    if (b < a) throw new RangeError(`pauses[${i}] ends (${to}) before it starts (${from})`);
    return [a, b];
  });
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

export class WorkingDayCalendar {
  private readonly loaded = new Map<number, YearSchedule>();
  private readonly loadedTables = new Map<number, YearTable>();

  /** Admin-loaded schedules override the library for their year; each is validated (throws on a bad one). */
  constructor(loadedSchedules: YearSchedule[] = []) {
    for (const input of loadedSchedules) {
      const result = validateYearSchedule(input);
      if (!result.ok) {
        const first = result.problems[0];
        throw new RangeError(
          `Invalid schedule for ${JSON.stringify((input as { year?: unknown })?.year)}: ${first.path} ${first.messageEn} (${result.problems.length} problem(s))`,
        );
      }
      const { schedule } = result;
      if (this.loaded.has(schedule.year)) throw new RangeError(`Two schedules loaded for ${schedule.year}`);
      this.loaded.set(schedule.year, schedule);
    }
  }

  /** The years `chinese-days` has data for: those with at least one holiday entry, ascending. */
  static knownYearsOfLibrary(): number[] {
    return [...libraryIndex().keys()].sort((a, b) => a - b);
  }

  /** True when a schedule for that year was loaded or the library has data for it. */
  isKnownYear(year: number): boolean {
    return Number.isInteger(year) && (this.loaded.has(year) || libraryIndex().has(year));
  }

  /** Throws UnknownYearError for a date in a year without a known schedule, RangeError for a malformed date. */
  isWorkingDay(date: string): boolean {
    const d = dayNumber(date);
    const table = this.tableForDay(d);
    return table.working[d - table.first] === 1;
  }

  /**
   * The date n working days after `start` (start itself not counted; n = 0 gives start).
   * Days inside pauses ([from, to] inclusive) are not counted: the clock stands still.
   * Throws UnknownYearError as soon as the count reaches a year without a known schedule.
   */
  addWorkingDays(start: string, n: number, pauses: Pause[] = []): string {
    let day = dayNumber(start, 'start');
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`n must be a whole number ≥ 0, got ${n}`);
    const merged = mergePauses(pauses);
    let p = 0;
    let table: YearTable | undefined;
    let remaining = n;
    while (remaining > 0) {
      day++;
      while (p < merged.length && merged[p][1] < day) p++;
      if (p < merged.length && merged[p][0] <= day) {
        day = merged[p][1]; // skip the whole pause; the loop steps to the day after it
        continue;
      }
      if (!table || day >= table.first + table.working.length) table = this.tableForDay(day);
      remaining -= table.working[day - table.first];
    }
    return dateOf(day);
  }

  /**
   * Working days from `start` (exclusive) to `end` (inclusive), not counting days inside
   * pauses; 0 if end <= start. Throws UnknownYearError if a counted stretch touches a year
   * without a known schedule.
   */
  workingDaysBetween(start: string, end: string, pauses: Pause[] = []): number {
    const s = dayNumber(start, 'start');
    const e = dayNumber(end, 'end');
    const merged = mergePauses(pauses);
    if (e <= s) return 0;
    let total = 0;
    let from = s + 1;
    for (const [a, b] of merged) {
      if (b < from) continue;
      if (a > e) break;
      if (a > from) total += this.countWorking(from, a - 1);
      from = b + 1;
      if (from > e) return total;
    }
    if (from <= e) total += this.countWorking(from, e);
    return total;
  }

  /** Years in [from, to] without a known schedule: to flag in the UI and the API. */
  unknownYears(from: number, to: number): number[] {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError('unknownYears: years must be integers');
    const out: number[] = [];
    for (let y = from; y <= to; y++) if (!this.isKnownYear(y)) out.push(y);
    return out;
  }

  /** Working days among day numbers a..b, both inclusive (a <= b). */
  private countWorking(a: number, b: number): number {
    let total = 0;
    for (let year = yearOf(a), last = yearOf(b); year <= last; year++) {
      const t = this.tableForYear(year);
      const lo = Math.max(a, t.first) - t.first;
      const hi = Math.min(b, t.first + t.working.length - 1) - t.first;
      total += t.cumulative[hi + 1] - t.cumulative[lo];
    }
    return total;
  }

  private tableForDay(dayNum: number): YearTable {
    return this.tableForYear(yearOf(dayNum));
  }

  private tableForYear(year: number): YearTable {
    const loaded = this.loaded.get(year);
    if (loaded) {
      let t = this.loadedTables.get(year);
      if (!t) {
        const toSet = (dates: string[]) => new Set(dates.map((d) => dayNumber(d)));
        t = buildTable(year, toSet(loaded.holidays), toSet(loaded.workdays));
        this.loadedTables.set(year, t);
      }
      return t;
    }
    let t = libraryTables.get(year);
    if (!t) {
      const raw = libraryIndex().get(year);
      if (!raw) throw new UnknownYearError(year);
      t = buildTable(year, raw.holidays, raw.workdays);
      libraryTables.set(year, t);
    }
    return t;
  }
}

// ---------------------------------------------------------------------------
// Validation of an admin-loaded schedule
// ---------------------------------------------------------------------------

export const MIN_SCHEDULE_YEAR = 2000;
export const MAX_SCHEDULE_YEAR = 2199;

const WEEKDAY_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const WEEKDAY_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Refusal {
  code: string;
  zh: string;
  en: string;
}

const YearScheduleShape = z.strictObject({
  year: z.number().int().min(MIN_SCHEDULE_YEAR).max(MAX_SCHEDULE_YEAR),
  holidays: z.array(z.string()),
  workdays: z.array(z.string()),
  source: z.string().trim().min(1),
});

/** The zod schema of a YearSchedule; semantic refusals carry `params: { code, zh, en }`. */
export const YearScheduleSchema = YearScheduleShape.superRefine((value, ctx) => {
  const refuse = (path: (string | number)[], params: Refusal) => ctx.addIssue({ code: 'custom', path, message: params.en, params });
  const seen = new Map<string, string>(); // date → 'holidays' | 'workdays'
  // zod still runs this refinement when the year itself was refused as out of range.
  const yearUsable = Number.isInteger(value.year) && value.year >= MIN_SCHEDULE_YEAR && value.year <= MAX_SCHEDULE_YEAR;
  for (const list of ['holidays', 'workdays'] as const) {
    value[list].forEach((date, i) => {
      const d = tryDayNumber(date);
      if (d === undefined) {
        refuse([list, i], {
          code: 'INVALID_DATE',
          zh: `日期无效：${date}（应为真实日期，格式 YYYY-MM-DD）`,
          en: `Invalid date: ${JSON.stringify(date)} (expected a real date written YYYY-MM-DD)`,
        });
        return;
      }
      if (yearUsable && yearOf(d) !== value.year) {
        refuse([list, i], {
          code: 'DATE_OUTSIDE_YEAR',
          zh: `${date} 不在 ${value.year} 年内`,
          en: `${date} is not in ${value.year}`,
        });
        return;
      }
      const w = weekdayOf(d);
      if (list === 'workdays' && w !== 0 && w !== 6) {
        refuse([list, i], {
          code: 'WORKDAY_NOT_WEEKEND',
          zh: `调休上班日 ${date} 是${WEEKDAY_ZH[w]}，应为周六或周日`,
          en: `Make-up working day ${date} is a ${WEEKDAY_EN[w]}; it must be a Saturday or a Sunday`,
        });
      }
      const before = seen.get(date);
      if (before === list) {
        refuse([list, i], { code: 'DUPLICATE_DATE', zh: `${date} 重复列出`, en: `${date} is listed twice` });
      } else if (before) {
        refuse([list, i], {
          code: 'DATE_IN_BOTH_LISTS',
          zh: `${date} 不能既是放假日又是调休上班日`,
          en: `${date} cannot be both a holiday and a make-up working day`,
        });
      } else {
        seen.set(date, list);
      }
    });
  }
  if (value.holidays.length === 0) {
    refuse(['holidays'], {
      code: 'NO_HOLIDAYS',
      zh: '放假安排至少应包含一个放假日',
      en: 'A schedule must list at least one holiday',
    });
  }
});

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

const FIELD_ZH: Record<string, string> = { year: '年份', holidays: '放假日', workdays: '调休上班日', source: '来源文件' };
const EXPECTED_ZH: Record<string, string> = { object: '对象', array: '数组', string: '字符串', number: '数字', int: '整数' };

function toProblem(issue: z.core.$ZodIssue, input: unknown): ScheduleProblem[] {
  const path = issue.path.map(String).join('.');
  const field = FIELD_ZH[String(issue.path[0])] ?? '输入';
  if (issue.code === 'custom' && issue.params) {
    const { code, zh, en } = issue.params as Refusal;
    return [{ path, code, messageZh: zh, messageEn: en }];
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...issue.path.map(String), key].join('.'),
      code: 'UNKNOWN_FIELD',
      messageZh: `不认识的字段：${key}`,
      messageEn: `Unknown field: ${key}`,
    }));
  }
  if (issue.code === 'invalid_type') {
    if (valueAt(input, issue.path) === undefined) {
      return [{ path, code: 'REQUIRED', messageZh: `缺少${field}`, messageEn: `${path || 'Schedule'} is required` }];
    }
    const expected = String(issue.expected);
    return [{
      path,
      code: 'INVALID_TYPE',
      messageZh: `${field}类型不正确，应为${EXPECTED_ZH[expected] ?? expected}`,
      messageEn: `${path || 'Schedule'}: expected ${expected === 'int' ? 'a whole number' : `a${/^[aeiou]/.test(expected) ? 'n' : ''} ${expected}`}`,
    }];
  }
  if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.path[0] === 'year') {
    return [{
      path,
      code: 'YEAR_OUT_OF_RANGE',
      messageZh: `年份应在 ${MIN_SCHEDULE_YEAR}–${MAX_SCHEDULE_YEAR} 之间`,
      messageEn: `The year must be between ${MIN_SCHEDULE_YEAR} and ${MAX_SCHEDULE_YEAR}`,
    }];
  }
  if (issue.code === 'too_small' && issue.path[0] === 'source') {
    return [{ path, code: 'REQUIRED', messageZh: '缺少来源文件（通知名称）', messageEn: 'The source notice is required' }];
  }
  return [{ path, code: 'INVALID', messageZh: `${field}不正确`, messageEn: issue.message }];
}

/**
 * Checks a schedule an admin wants to load: structure, real dates inside that year,
 * make-up working days on Saturdays or Sundays, no date in both lists or twice in one,
 * at least one holiday. Holidays may fall on weekends (the notices list whole periods).
 * On success the lists come back sorted and the source trimmed.
 */
export function validateYearSchedule(
  input: unknown,
): { ok: true; schedule: YearSchedule } | { ok: false; problems: ScheduleProblem[] } {
  const result = YearScheduleSchema.safeParse(input);
  if (!result.success) return { ok: false, problems: result.error.issues.flatMap((issue) => toProblem(issue, input)) };
  const { year, holidays, workdays, source } = result.data;
  return { ok: true, schedule: { year, holidays: [...holidays].sort(), workdays: [...workdays].sort(), source } };
}
