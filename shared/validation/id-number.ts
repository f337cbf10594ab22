/**
 * Resident identity card number (公民身份号码), GB 11643-1999.
 *
 * Layout (1-based): 1-6 address code, 7-14 birth date YYYYMMDD,
 * 15-17 sequence code, 18 check character (ISO 7064 MOD 11-2). The birth date
 * may not be after today in Beijing.
 */

import { beijingDate, compactDate, tryDayNumber } from '../beijing-calendar';

const WEIGHTS: readonly number[] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
const SHAPE_PATTERN = /^\d{17}[\dX]$/;

export type IdNumberFailure = 'LENGTH' | 'CHARSET' | 'BIRTH_DATE' | 'CHECK_CHARACTER';
export type IdNumberResult = { ok: true } | { ok: false; reason: IdNumberFailure };

/** True when year/month/day name a real Gregorian calendar day (year 1..9999). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (![year, month, day].every(Number.isInteger) || year < 1 || year > 9999) return false;
  const two = (n: number) => String(n).padStart(2, '0');
  return tryDayNumber(`${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`) !== undefined;
}

function isValidBirthDate(yyyymmdd: string, now: Date): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  // Fixed-width digit strings compare chronologically as plain strings.
  return isCalendarDate(year, month, day) && yyyymmdd <= compactDate(beijingDate(now));
}

function computeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    sum += Number(first17.charAt(i)) * WEIGHTS[i]!;
  }
  return CHECK_CHARS.charAt(sum % 11);
}

/** Appends the correct check character to 17 digits; throws RangeError otherwise. */
export function makeIdNumber(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError(`Expected 17 digits, got "${first17}"`);
  }
  return first17 + computeCheckCharacter(first17);
}

/**
 * Validates an 18-character ID number; a lowercase trailing x is accepted as X.
 * `now` is injectable so "birth date not in the future" is testable.
 */
export function checkIdNumber(value: string, now: Date = new Date()): IdNumberResult {
  if (value.length !== 18) return { ok: false, reason: 'LENGTH' };
  const normalised = value.toUpperCase();
  if (!SHAPE_PATTERN.test(normalised)) return { ok: false, reason: 'CHARSET' };
  if (!isValidBirthDate(normalised.slice(6, 14), now)) return { ok: false, reason: 'BIRTH_DATE' };
  if (computeCheckCharacter(normalised.slice(0, 17)) !== normalised.charAt(17)) {
    return { ok: false, reason: 'CHECK_CHARACTER' };
  }
  return { ok: true };
}
