/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015.
 *
 * Layout (1-based): 1 registration authority, 2 organisation type,
 * 3-8 administrative division (GB/T 2260, digits), 9-17 organisation code
 * (GB 11714), 18 check character (GB/T 17710 MOD 31-3 style weights).
 */

/** The 31 code characters; I, O, S, V and Z are excluded to avoid confusion with digits. */
export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const WEIGHTS: readonly number[] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

const CODE_CHAR = `[${CREDIT_CODE_ALPHABET}]`;
// The organisation code's own GB 11714 check (position 17) is deliberately not enforced here.
const BODY_PATTERN = new RegExp(`^${CODE_CHAR}{2}\\d{6}${CODE_CHAR}{9}$`);
const CHECK_PATTERN = new RegExp(`^${CODE_CHAR}$`);

export type CreditCodeFailure = 'LENGTH' | 'CHARSET' | 'CHECK_CHARACTER';
export type CreditCodeResult = { ok: true } | { ok: false; reason: CreditCodeFailure };

function computeCheckCharacter(body: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    sum += CREDIT_CODE_ALPHABET.indexOf(body.charAt(i)) * WEIGHTS[i]!;
  }
  const check = 31 - (sum % 31);
  return CREDIT_CODE_ALPHABET.charAt(check === 31 ? 0 : check);
}

/** Check character for the first 17 characters; throws RangeError if they are malformed. */
export function creditCodeCheckCharacter(first17: string): string {
  if (!BODY_PATTERN.test(first17)) {
    throw new RangeError(`Expected 17 credit-code characters (positions 3-8 digits), got "${first17}"`);
  }
  return computeCheckCharacter(first17);
}

/** Appends the correct check character (intended for tests and demo data). */
export function makeCreditCode(first17: string): string {
  return first17 + creditCodeCheckCharacter(first17);
}

/** Validates a complete 18-character code. Uppercase only, as printed on business licences. */
export function checkCreditCode(value: string): CreditCodeResult {
  if (value.length !== 18) return { ok: false, reason: 'LENGTH' };
  const body = value.slice(0, 17);
  const check = value.charAt(17);
  if (!BODY_PATTERN.test(body) || !CHECK_PATTERN.test(check)) return { ok: false, reason: 'CHARSET' };
  if (computeCheckCharacter(body) !== check) return { ok: false, reason: 'CHECK_CHARACTER' };
  return { ok: true };
}
