import { isWorkday as libraryIsWorkday } from 'chinese-days';
import { UnknownYearError, WorkingDayCalendar, validateYearSchedule, type Pause, type YearSchedule } from '../../shared/working-days';
import { beijingDate } from '../../shared/beijing-calendar';

/*
 * Official facts used below.
 *
 * 2025 — 国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12,
 * https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm):
 *   春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
 *   国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
 *
 * 2026 — 国务院办公厅关于2026年部分节假日安排的通知（2025-11,
 * https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm):
 *   春节：2月15日（周日）至23日（周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
 *   中秋节：9月25日（周五）至27日（周日）放假，共3天。
 *   国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
 *
 * The library (chinese-days 1.5.7) agrees with both notices; that is asserted below day by day.
 */

const calendar = new WorkingDayCalendar();

/** A FICTIONAL 2027 schedule for tests only — not the official notice. 2027-01-01 is a Friday. */
const fictional2027: YearSchedule = {
  year: 2027,
  holidays: ['2027-01-01', '2027-01-02', '2027-01-03', '2027-01-04'], // Fri, Sat, Sun, Mon
  workdays: ['2027-01-09'], // Saturday
  source: '测试用虚构安排（非官方通知）',
};

const DAY_MS = 86_400_000;
const plusDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const everyDay = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let d = from; d <= to; d = plusDays(d, 1)) out.push(d);
  return out;
};

describe('library data', () => {
  test('knows a contiguous run of years up to 2026, and not 2027', () => {
    const years = WorkingDayCalendar.knownYearsOfLibrary();
    expect(years[0]).toBe(2004);
    expect(years).toContain(2025);
    expect(years).toContain(2026);
    expect(years).not.toContain(2027);
    expect(years).toEqual(Array.from({ length: years.length }, (_, i) => 2004 + i));
  });

  test('the library itself counts 2027-01-01 as a working day — the silent guess this module refuses', () => {
    expect(libraryIsWorkday('2027-01-01')).toBe(true);
    expect(calendar.isKnownYear(2027)).toBe(false);
  });

  test('our tables agree with the library, day by day, for 2025 and 2026', () => {
    for (const d of everyDay('2025-01-01', '2026-12-31')) {
      expect([d, calendar.isWorkingDay(d)]).toEqual([d, libraryIsWorkday(d)]);
    }
  });
});

describe('isWorkingDay', () => {
  test('an ordinary weekday', () => {
    expect(calendar.isWorkingDay('2026-03-04')).toBe(true); // Wednesday
    expect(calendar.isWorkingDay('2025-06-03')).toBe(true); // Tuesday after 端午
  });

  test('an ordinary weekend', () => {
    expect(calendar.isWorkingDay('2026-03-07')).toBe(false); // Saturday
    expect(calendar.isWorkingDay('2026-03-08')).toBe(false); // Sunday
  });

  test('public holidays on weekdays', () => {
    expect(calendar.isWorkingDay('2025-10-01')).toBe(false); // 国庆 (Wednesday)
    expect(calendar.isWorkingDay('2025-10-08')).toBe(false); // last day of the 8-day break (Wednesday)
    expect(calendar.isWorkingDay('2025-02-04')).toBe(false); // 春节 初七 (Tuesday)
    expect(calendar.isWorkingDay('2026-09-25')).toBe(false); // 中秋 (Friday)
    expect(calendar.isWorkingDay('2026-10-07')).toBe(false); // 国庆 (Wednesday)
  });

  test('make-up working days on weekends', () => {
    expect(calendar.isWorkingDay('2025-09-28')).toBe(true); // Sunday
    expect(calendar.isWorkingDay('2025-10-11')).toBe(true); // Saturday
    expect(calendar.isWorkingDay('2025-01-26')).toBe(true); // Sunday
    expect(calendar.isWorkingDay('2026-09-20')).toBe(true); // Sunday
    expect(calendar.isWorkingDay('2026-10-10')).toBe(true); // Saturday
  });

  test('a malformed date is a RangeError', () => {
    expect(() => calendar.isWorkingDay('2025-02-30')).toThrow(RangeError);
    expect(() => calendar.isWorkingDay('2025-9-1')).toThrow(RangeError);
  });
});

describe('addWorkingDays', () => {
  test('across the 2025 National Day holiday and its make-up days', () => {
    // From Friday 2025-09-26: Sat 27 rest; Sun 28 make-up (1); Mon 29 (2); Tue 30 (3);
    // 1–8 Oct holiday; Thu 9 Oct (4); Fri 10 (5); Sat 11 make-up (6); Sun 12 rest; Mon 13 (7).
    expect(calendar.addWorkingDays('2025-09-26', 1)).toBe('2025-09-28');
    expect(calendar.addWorkingDays('2025-09-26', 3)).toBe('2025-09-30');
    expect(calendar.addWorkingDays('2025-09-26', 4)).toBe('2025-10-09');
    expect(calendar.addWorkingDays('2025-09-26', 6)).toBe('2025-10-11');
    expect(calendar.addWorkingDays('2025-09-26', 7)).toBe('2025-10-13');
    // From Tuesday 2025-09-30, one working day later is Thursday 9 October.
    expect(calendar.addWorkingDays('2025-09-30', 1)).toBe('2025-10-09');
  });

  test('a 20-working-day limit starting 2025-09-19', () => {
    // Sep 22–26 (1–5), Sun 28 make-up (6), 29–30 (7–8), Oct 9–10 (9–10), Sat 11 make-up (11),
    // Oct 13–17 (12–16), Oct 20–23 (17–20) → Thursday 2025-10-23.
    expect(calendar.addWorkingDays('2025-09-19', 20)).toBe('2025-10-23');
  });

  test('across the 2025 Spring Festival', () => {
    // From Friday 2025-01-24: Sat 25 rest; Sun 26 make-up (1); Mon 27 (2); 28 Jan–4 Feb holiday; Wed 5 Feb (3).
    expect(calendar.addWorkingDays('2025-01-24', 1)).toBe('2025-01-26');
    expect(calendar.addWorkingDays('2025-01-24', 2)).toBe('2025-01-27');
    expect(calendar.addWorkingDays('2025-01-24', 3)).toBe('2025-02-05');
  });

  test('across the 2026 Mid-Autumn and National Day holidays', () => {
    // From Friday 2026-09-18: Sat 19 rest; Sun 20 make-up (1); 21–24 (2–5); 25–27 中秋; 28–30 (6–8);
    // 1–7 Oct 国庆; Thu 8 (9); Fri 9 (10); Sat 10 make-up (11); Sun 11 rest; Mon 12 (12).
    expect(calendar.addWorkingDays('2026-09-18', 1)).toBe('2026-09-20');
    expect(calendar.addWorkingDays('2026-09-18', 6)).toBe('2026-09-28');
    expect(calendar.addWorkingDays('2026-09-18', 9)).toBe('2026-10-08');
    expect(calendar.addWorkingDays('2026-09-18', 11)).toBe('2026-10-10');
    expect(calendar.addWorkingDays('2026-09-18', 12)).toBe('2026-10-12');
  });

  test('n = 0 is the start date itself; from a rest day the count starts the next working day', () => {
    expect(calendar.addWorkingDays('2025-10-04', 0)).toBe('2025-10-04');
    expect(calendar.addWorkingDays('2025-10-04', 1)).toBe('2025-10-09');
  });

  test('across a year end', () => {
    // 2025-12-31 is a Wednesday; 2026-01-01..03 元旦; Sun 4 Jan make-up (1); Mon 5 (2).
    expect(calendar.addWorkingDays('2025-12-31', 1)).toBe('2026-01-04');
    expect(calendar.addWorkingDays('2025-12-31', 2)).toBe('2026-01-05');
  });

  test('refuses a negative or fractional count', () => {
    expect(() => calendar.addWorkingDays('2025-03-03', -1)).toThrow(RangeError);
    expect(() => calendar.addWorkingDays('2025-03-03', 1.5)).toThrow(RangeError);
  });
});

describe('pauses', () => {
  test('a 3-working-day pause moves the due date by 3 working days', () => {
    // From Monday 2025-03-03, 10 working days: Mar 4–7 (1–4), 10–14 (5–9), Mon 17 (10).
    expect(calendar.addWorkingDays('2025-03-03', 10)).toBe('2025-03-17');
    // Paused Wed 5 – Fri 7 March (3 working days): Mar 4 (1), 10–14 (2–6), 17–20 (7–10) → Thu 20 March.
    const pauses: Pause[] = [['2025-03-05', '2025-03-07']];
    expect(calendar.addWorkingDays('2025-03-03', 10, pauses)).toBe('2025-03-20');
    expect(calendar.addWorkingDays('2025-03-17', 3)).toBe('2025-03-20');
    expect(calendar.workingDaysBetween('2025-03-03', '2025-03-20', pauses)).toBe(10);
    expect(calendar.workingDaysBetween('2025-03-03', '2025-03-20')).toBe(13);
  });

  test('a pause over rest days only changes nothing; overlapping and unsorted pauses merge', () => {
    expect(calendar.addWorkingDays('2025-09-26', 7, [['2025-10-01', '2025-10-08']])).toBe('2025-10-13');
    const messy: Pause[] = [
      ['2025-03-06', '2025-03-07'],
      ['2025-03-05', '2025-03-06'],
    ];
    expect(calendar.addWorkingDays('2025-03-03', 10, messy)).toBe('2025-03-20');
  });

  test('a pause ending before it starts is refused', () => {
    expect(() => calendar.addWorkingDays('2025-03-03', 1, [['2025-03-07', '2025-03-05']])).toThrow(RangeError);
  });
});

describe('workingDaysBetween', () => {
  test('hand-counted values', () => {
    expect(calendar.workingDaysBetween('2025-09-30', '2025-10-13')).toBe(4); // Oct 9, 10, 11 (Sat, make-up), 13
    expect(calendar.workingDaysBetween('2025-10-01', '2025-10-08')).toBe(0);
    expect(calendar.workingDaysBetween('2025-10-13', '2025-10-13')).toBe(0);
    expect(calendar.workingDaysBetween('2025-10-13', '2025-09-30')).toBe(0);
    // The whole of 2025 (1 Jan is a Wednesday, so 104 weekend days). Holidays falling on weekdays:
    // Jan 1; Jan 28–31, Feb 3–4; Apr 4; May 1–2, May 5; Jun 2; Oct 1–3, Oct 6–8 = 1+6+1+3+1+6 = 18.
    // Make-up days: Jan 26, Feb 8, Apr 27, Sep 28, Oct 11 = 5. 365 − 104 − 18 + 5 = 248.
    expect(calendar.workingDaysBetween('2024-12-31', '2025-12-31')).toBe(248);
  });

  test('agrees with a day-by-day count, with and without pauses', () => {
    const pauses: Pause[] = [
      ['2025-02-10', '2025-02-20'],
      ['2025-09-29', '2025-10-10'],
      ['2026-05-06', '2026-05-06'],
    ];
    const inPause = (d: string) => pauses.some(([a, b]) => a <= d && d <= b);
    const start = '2025-01-15';
    let plain = 0;
    let paused = 0;
    for (const d of everyDay(plusDays(start, 1), '2026-12-31')) {
      if (calendar.isWorkingDay(d)) {
        plain++;
        if (!inPause(d)) paused++;
      }
      if (d.endsWith('-01') || d.endsWith('-15') || d.endsWith('-28')) {
        expect([d, calendar.workingDaysBetween(start, d)]).toEqual([d, plain]);
        expect([d, calendar.workingDaysBetween(start, d, pauses)]).toEqual([d, paused]);
      }
    }
  });

  test('property: workingDaysBetween(s, addWorkingDays(s, n)) === n, and the due date is the first such day', () => {
    const pauses: Pause[] = [['2025-04-21', '2025-04-30']];
    for (let s = '2025-01-01'; s <= '2025-12-31'; s = plusDays(s, 5)) {
      for (let n = 0; n <= 200; n += 7) {
        for (const p of [[], pauses]) {
          const due = calendar.addWorkingDays(s, n, p);
          expect(calendar.workingDaysBetween(s, due, p)).toBe(n);
          if (n > 0) {
            expect(calendar.isWorkingDay(due)).toBe(true);
            expect(calendar.workingDaysBetween(s, plusDays(due, -1), p)).toBe(n - 1);
          }
        }
      }
    }
  });

  test('is fast enough for queue listings', () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) {
      const s = plusDays('2025-01-01', i % 600);
      calendar.workingDaysBetween(s, calendar.addWorkingDays(s, 20));
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(ms).toBeLessThan(3000); // typically well under 200 ms
  });
});

describe('unknown years', () => {
  test('2027 is not known: isWorkingDay throws UnknownYearError with a bilingual message', () => {
    expect(calendar.isKnownYear(2027)).toBe(false);
    expect(calendar.isKnownYear(2003)).toBe(false);
    let error: unknown;
    try {
      calendar.isWorkingDay('2027-01-01');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownYearError);
    const e = error as UnknownYearError;
    expect(e.year).toBe(2027);
    expect(e.messageZh).toBe('2027 年的法定节假日安排尚未载入');
    expect(e.messageEn).toBe('No official holiday schedule is loaded for 2027');
    expect(e.message).toContain('2027 年的法定节假日安排尚未载入');
    expect(e.message).toContain('No official holiday schedule is loaded for 2027');
  });

  test('a count that runs into 2027 is flagged, not guessed', () => {
    expect(() => calendar.addWorkingDays('2026-12-20', 20)).toThrow(UnknownYearError);
    expect(() => calendar.workingDaysBetween('2026-12-20', '2027-01-05')).toThrow(UnknownYearError);
    // Within 2026 it still works: Dec 21–25 (1–5), 28–31 (6–9).
    expect(calendar.addWorkingDays('2026-12-20', 9)).toBe('2026-12-31');
  });

  test('unknownYears lists the years to flag', () => {
    expect(calendar.unknownYears(2025, 2028)).toEqual([2027, 2028]);
    expect(calendar.unknownYears(2002, 2005)).toEqual([2002, 2003]);
    expect(calendar.unknownYears(2026, 2025)).toEqual([]);
  });
});

describe('loaded schedules', () => {
  const loaded = new WorkingDayCalendar([fictional2027]);

  test('loading a schedule makes its year known and applies its holidays and make-up days', () => {
    expect(loaded.isKnownYear(2027)).toBe(true);
    expect(loaded.unknownYears(2025, 2028)).toEqual([2028]);
    expect(loaded.isWorkingDay('2027-01-01')).toBe(false); // Friday, holiday
    expect(loaded.isWorkingDay('2027-01-04')).toBe(false); // Monday, holiday
    expect(loaded.isWorkingDay('2027-01-05')).toBe(true); // Tuesday
    expect(loaded.isWorkingDay('2027-01-09')).toBe(true); // Saturday, make-up
    expect(loaded.isWorkingDay('2027-01-10')).toBe(false); // Sunday
    // From Thursday 2026-12-31: Jan 1–4 rest; Tue 5 (1), 6 (2), 7 (3), 8 (4), Sat 9 make-up (5), Mon 11 (6).
    expect(loaded.addWorkingDays('2026-12-31', 1)).toBe('2027-01-05');
    expect(loaded.addWorkingDays('2026-12-31', 5)).toBe('2027-01-09');
    expect(loaded.addWorkingDays('2026-12-31', 6)).toBe('2027-01-11');
    expect(loaded.workingDaysBetween('2026-12-20', '2027-01-11')).toBe(9 + 6);
    // The calendar without it is unaffected.
    expect(calendar.isKnownYear(2027)).toBe(false);
  });

  test('a loaded schedule overrides the library for its year', () => {
    const override = new WorkingDayCalendar([
      { year: 2026, holidays: ['2026-03-04'], workdays: ['2026-03-07'], source: '测试用虚构安排（非官方通知）' },
    ]);
    expect(override.isWorkingDay('2026-03-04')).toBe(false);
    expect(override.isWorkingDay('2026-03-07')).toBe(true);
    expect(override.isWorkingDay('2026-10-01')).toBe(true); // library's 国庆 no longer applies for 2026
    expect(override.isWorkingDay('2025-10-01')).toBe(false); // 2025 still from the library
  });

  test('the constructor refuses an invalid or duplicated schedule', () => {
    expect(() => new WorkingDayCalendar([{ ...fictional2027, workdays: ['2027-01-06'] }])).toThrow(RangeError);
    expect(() => new WorkingDayCalendar([fictional2027, fictional2027])).toThrow(RangeError);
  });
});

describe('validateYearSchedule', () => {
  const codes = (input: unknown) => {
    const r = validateYearSchedule(input);
    return r.ok ? [] : r.problems.map((p) => `${p.path}:${p.code}`);
  };

  test('accepts a good schedule, including a holiday on a weekend, and sorts the lists', () => {
    const r = validateYearSchedule({ ...fictional2027, holidays: ['2027-01-03', '2027-01-01', '2027-01-02'], source: '  通知  ' });
    expect(r).toEqual({
      ok: true,
      schedule: { year: 2027, holidays: ['2027-01-01', '2027-01-02', '2027-01-03'], workdays: ['2027-01-09'], source: '通知' },
    });
  });

  test('refuses a date that does not exist or is badly written', () => {
    expect(codes({ ...fictional2027, holidays: ['2027-02-30'] })).toEqual(['holidays.0:INVALID_DATE']);
    expect(codes({ ...fictional2027, workdays: ['2027/01/09'] })).toEqual(['workdays.0:INVALID_DATE']);
  });

  test('refuses a date outside the year', () => {
    expect(codes({ ...fictional2027, holidays: ['2026-12-31', '2027-01-01'] })).toEqual(['holidays.0:DATE_OUTSIDE_YEAR']);
  });

  test('refuses a make-up working day on a Wednesday, with a bilingual message', () => {
    const r = validateYearSchedule({ ...fictional2027, workdays: ['2027-01-06'] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      {
        path: 'workdays.0',
        code: 'WORKDAY_NOT_WEEKEND',
        messageZh: '调休上班日 2027-01-06 是周三，应为周六或周日',
        messageEn: 'Make-up working day 2027-01-06 is a Wednesday; it must be a Saturday or a Sunday',
      },
    ]);
  });

  test('refuses a date in both lists, a duplicate, and a schedule without holidays', () => {
    expect(codes({ ...fictional2027, holidays: ['2027-01-01', '2027-01-09'] })).toEqual(['workdays.0:DATE_IN_BOTH_LISTS']);
    expect(codes({ ...fictional2027, holidays: ['2027-01-01', '2027-01-01'] })).toEqual(['holidays.1:DUPLICATE_DATE']);
    expect(codes({ ...fictional2027, holidays: [] })).toEqual(['holidays:NO_HOLIDAYS']);
  });

  test('refuses malformed input', () => {
    expect(codes(null)).toEqual([':INVALID_TYPE']);
    expect(codes({})).toEqual(['year:REQUIRED', 'holidays:REQUIRED', 'workdays:REQUIRED', 'source:REQUIRED']);
    expect(codes({ ...fictional2027, year: 2027.5, source: ' ', extra: 1 })).toEqual([
      'year:INVALID_TYPE',
      'source:REQUIRED',
      'extra:UNKNOWN_FIELD',
    ]);
    expect(codes({ ...fictional2027, year: 1990 })).toEqual(['year:YEAR_OUT_OF_RANGE']);
    expect(codes({ ...fictional2027, holidays: [20270101] })).toEqual(['holidays.0:INVALID_TYPE']);
  });
});

describe('beijingDate', () => {
  test('is the calendar day in UTC+8', () => {
    expect(beijingDate(new Date('2025-03-13T16:30:00Z'))).toBe('2025-03-14');
    expect(beijingDate(new Date('2025-03-13T15:59:59.999Z'))).toBe('2025-03-13');
    expect(beijingDate(new Date('2025-12-31T16:00:00Z'))).toBe('2026-01-01');
    expect(beijingDate(new Date('2025-12-31T23:59:59+08:00'))).toBe('2025-12-31');
  });

  test('refuses an invalid Date', () => {
    expect(() => beijingDate(new Date('nonsense'))).toThrow(RangeError);
  });
});
