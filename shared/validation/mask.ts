/** Masking of personal data shown in public views. */

const MASK = '*';

/**
 * Keeps `keepStart` leading and `keepEnd` trailing characters and stars the rest.
 * When that would hide less than a third of the value (short or truncated input),
 * each kept end shrinks to a quarter of the length so at least half is hidden.
 */
function maskMiddle(value: string, keepStart: number, keepEnd: number): string {
  // Array.from splits by code point, so astral characters count as one.
  const chars = Array.from(value);
  const hidesEnough = (chars.length - keepStart - keepEnd) * 3 >= chars.length;
  const quarter = Math.floor(chars.length / 4);
  const start = hidesEnough ? keepStart : Math.min(keepStart, quarter);
  const end = hidesEnough ? keepEnd : Math.min(keepEnd, quarter);
  const hidden = chars.length - start - end;
  return chars.slice(0, start).join('') + MASK.repeat(hidden) + chars.slice(chars.length - end).join('');
}

function normalise(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : value.trim();
}

/** '110101199003077777' → '110101********7777'. */
export function maskIdNumber(value: string | null | undefined): string | null {
  const text = normalise(value);
  return text === null ? null : maskMiddle(text, 6, 4);
}

/** '13812345678' → '138****5678'. */
export function maskPhone(value: string | null | undefined): string | null {
  const text = normalise(value);
  return text === null ? null : maskMiddle(text, 3, 4);
}

/** '张三丰' → '张**'; a one-character name becomes '*'. */
export function maskPersonName(value: string | null | undefined): string | null {
  const text = normalise(value);
  if (text === null) return null;
  const chars = Array.from(text);
  if (chars.length <= 1) return MASK.repeat(chars.length);
  return chars[0] + MASK.repeat(chars.length - 1);
}
