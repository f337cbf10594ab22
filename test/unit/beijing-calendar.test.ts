// A host far from Beijing: nothing below may depend on the host's time zone.
process.env.TZ = 'America/Los_Angeles';

import { addYears, beijingDate, chineseDate, compactDate, dayNumber, tryDayNumber, validUntil } from '../../shared/beijing-calendar';
import { checkIdNumber, makeIdNumber } from '../../shared/validation/id-number';

/** An instant given as Beijing wall-clock time. */
const beijing = (wallClock: string) => new Date(`${wallClock}+08:00`);

describe('Beijing calendar', () => {
  it('dates 07:30 and 23:30 Beijing time on the same day as 10:00, though 07:30 is the day before in UTC', () => {
    const early = beijing('2026-03-14T07:30:00');
    expect(early.toISOString().slice(0, 10)).toBe('2026-03-13'); // the UTC day is the previous one
    expect(new Date(early).getDate()).toBe(13); // and so is this host's local day
    for (const time of ['00:00:00', '07:30:00', '10:00:00', '23:30:00', '23:59:59']) {
      expect(beijingDate(beijing(`2026-03-14T${time}`))).toBe('2026-03-14');
    }
    expect(beijingDate(beijing('2026-03-15T00:00:00'))).toBe('2026-03-15');
    expect(beijingDate('2026-03-13T16:00:00Z')).toBe('2026-03-14');
  });

  it('gives licences decided at 07:30 and at 23:30 on one Beijing day the same validity end', () => {
    const at0730 = validUntil(beijing('2026-03-14T07:30:00'), 5);
    const at2330 = validUntil(beijing('2026-03-14T23:30:00'), 5);
    expect(at0730).toBe('2031-03-14');
    expect(at2330).toBe(at0730);
    expect(validUntil(beijing('2026-03-15T00:10:00'), 5)).toBe('2031-03-15');
    expect(validUntil(beijing('2026-03-14T07:30:00'), 99)).toBeNull();
  });

  it('moves 29 February to 1 March in a common year and refuses non-dates', () => {
    expect(addYears('2028-02-29', 1)).toBe('2029-03-01');
    expect(addYears('2028-02-29', 4)).toBe('2032-02-29');
    expect(() => addYears('2026-02-30', 1)).toThrow(RangeError);
    expect(tryDayNumber('2026-02-29')).toBeUndefined();
    expect(tryDayNumber('2026-13-01')).toBeUndefined();
    expect(dayNumber('1970-01-02')).toBe(1);
  });

  it('writes dates inside numbers and on paper', () => {
    expect(compactDate('2026-03-04')).toBe('20260304');
    expect(chineseDate('2026-03-04')).toBe('2026年3月4日');
    expect(() => compactDate('2026-3-4')).toThrow(RangeError);
  });

  it('takes a birth date of today in Beijing as valid at 07:30 Beijing time, and tomorrow as not', () => {
    const now = beijing('2026-03-14T07:30:00'); // still 13 March in UTC and on this host
    expect(checkIdNumber(makeIdNumber('11010520260314001'), now)).toEqual({ ok: true });
    expect(checkIdNumber(makeIdNumber('11010520260315001'), now)).toEqual({ ok: false, reason: 'BIRTH_DATE' });
  });
});
