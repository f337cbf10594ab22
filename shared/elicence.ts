/**
 * Electronic licence (电子证照) identifiers and metadata for the comprehensive
 * permit (综合许可凭证), so each permit version can be pushed to the city
 * e-licence library (市电子证照库).
 *
 * - Identifier (证照标识), GB/T 36904-2018 shape:
 *     1.2.156.3005.2.<证照类型代码 21>.<颁发机构代码 18>.<流水号>.<版本号 3>.<校验位 1>
 * - Check character (校验位): ISO/IEC 7064 MOD 37,36 (hybrid system). It
 *   detects every single-character substitution, but, like every hybrid
 *   system, not every adjacent transposition: for each running state exactly
 *   one pair of characters commutes (e.g. "IJ" and "JI" share a check char).
 * - Metadata (证照元数据), GB/T 36903-2018 shape, with English camelCase keys.
 */
import { z } from 'zod';
import { beijingDate } from './beijing-calendar';
import { checkCreditCode, isCalendarDate, makeCreditCode } from './validation';

// ---------------------------------------------------------------------------
// ISO/IEC 7064 MOD 37,36
// ---------------------------------------------------------------------------

/** The 36 characters of MOD 37,36; a character's value is its index. */
export const ISO7064_ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const M = 36;

/**
 * Characters taking part in the computation, upper-cased.
 *
 * Choice: ASCII characters other than [0-9A-Za-z] (the dots of an identifier,
 * spaces, hyphens) are ignored, because public implementations compute over
 * the identifier's alphanumeric characters only. Anything outside ASCII is an
 * error rather than silently ignored, so that e.g. "A中B" cannot pass as "AB".
 */
function significant(input: string): string | null {
  let out = '';
  for (const ch of input) {
    if (/[0-9A-Za-z]/.test(ch)) out += ch.toUpperCase();
    else if (ch.charCodeAt(0) > 0x7f) return null;
  }
  return out;
}

/** Hybrid MOD (M+1, M) over character values; returns the final p. */
function hybridRemainder(chars: string): number {
  let p = M;
  for (const ch of chars) {
    let s = (ISO7064_ALPHANUMERIC.indexOf(ch) + p) % M;
    if (s === 0) s = M;
    p = (s * 2) % (M + 1);
  }
  return p;
}

/**
 * The MOD 37,36 check character for `input` (case-insensitive; ASCII
 * non-alphanumerics ignored). Throws RangeError on non-ASCII characters or
 * when nothing is left to protect.
 */
export function iso7064Mod3736CheckChar(input: string): string {
  const chars = significant(input);
  if (chars === null) throw new RangeError(`ISO 7064 MOD 37,36 input contains non-ASCII characters: "${input}"`);
  if (chars.length === 0) throw new RangeError('ISO 7064 MOD 37,36 input has no alphanumeric characters');
  const p = hybridRemainder(chars);
  // The check value c makes (p + c) mod M equal 1.
  return ISO7064_ALPHANUMERIC.charAt((M + 1 - p) % M);
}

/** True when the last alphanumeric character is the correct check character for those before it. */
export function isValidIso7064Mod3736(withCheck: string): boolean {
  const chars = significant(withCheck);
  if (chars === null || chars.length < 2) return false;
  return iso7064Mod3736CheckChar(chars.slice(0, -1)) === chars.charAt(chars.length - 1);
}

// ---------------------------------------------------------------------------
// Identifier (GB/T 36904-2018)
// ---------------------------------------------------------------------------

/** 电子证照根代码: the e-licence root OID. */
export const ELICENCE_ROOT_OID = '1.2.156.3005.2';

export interface ElectronicLicenceIdentifierParts {
  /** 证照类型代码: 21 characters of [0-9A-Z]. */
  typeCode: string;
  /** 证照颁发机构代码: the issuing authority's 18-character unified social credit code. */
  issuerCreditCode: string;
  /** 流水号: the permit's serial, 1-64 characters of [0-9A-Z]. */
  serial: string;
  /** 版本号: 1..999, written as 3 digits. */
  version: number;
}

export const LICENCE_TYPE_CODE_PATTERN = /^[0-9A-Z]{21}$/;
export const LICENCE_SERIAL_PATTERN = /^[0-9A-Z]{1,64}$/;
const VERSION_TEXT_PATTERN = /^\d{3}$/;

function formatVersion(version: number): string {
  return String(version).padStart(3, '0');
}

/** Reason the parts cannot form an identifier, or null if they can. */
function partsProblem(parts: ElectronicLicenceIdentifierParts): string | null {
  const { typeCode, issuerCreditCode, serial, version } = parts;
  if (typeof typeCode !== 'string' || !LICENCE_TYPE_CODE_PATTERN.test(typeCode)) {
    return `typeCode must be 21 characters of [0-9A-Z], got "${String(typeCode)}"`;
  }
  const credit = typeof issuerCreditCode === 'string' ? checkCreditCode(issuerCreditCode) : null;
  if (credit === null || !credit.ok) {
    const reason = credit === null ? 'not a string' : credit.reason;
    return `issuerCreditCode must be an 18-character unified social credit code passing GB 32100 (${reason}), got "${String(issuerCreditCode)}"`;
  }
  if (typeof serial !== 'string' || !LICENCE_SERIAL_PATTERN.test(serial)) {
    return `serial must be 1-64 characters of [0-9A-Z], got "${String(serial)}"`;
  }
  if (!Number.isInteger(version) || version < 1 || version > 999) {
    return `version must be an integer 1..999, got ${String(version)}`;
  }
  return null;
}

/**
 * The check character of an identifier.
 *
 * It is computed over 证照类型代码 + 颁发机构代码 + 流水号 + 版本号, WITHOUT the
 * root OID: real identifiers in circulation (for example
 * 1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0)
 * check out only that way, and public implementations concatenate exactly
 * those four fields before applying MOD 37,36.
 */
function identifierCheckChar(typeCode: string, issuer: string, serial: string, versionText: string): string {
  return iso7064Mod3736CheckChar(typeCode + issuer + serial + versionText);
}

/**
 * Builds `1.2.156.3005.2.<typeCode>.<issuerCreditCode>.<serial>.<version 3 digits>.<check>`.
 * Throws RangeError with the reason when a part is malformed.
 */
export function electronicLicenceIdentifier(parts: ElectronicLicenceIdentifierParts): string {
  const problem = partsProblem(parts);
  if (problem !== null) throw new RangeError(`Cannot build an electronic licence identifier: ${problem}`);
  const versionText = formatVersion(parts.version);
  const check = identifierCheckChar(parts.typeCode, parts.issuerCreditCode, parts.serial, versionText);
  return [ELICENCE_ROOT_OID, parts.typeCode, parts.issuerCreditCode, parts.serial, versionText, check].join('.');
}

/**
 * The parts of a well-formed identifier, or null if the shape, any part or the
 * check character is wrong. Identifiers are upper case; lower case is rejected.
 */
export function parseElectronicLicenceIdentifier(id: string): ElectronicLicenceIdentifierParts | null {
  if (typeof id !== 'string' || !id.startsWith(`${ELICENCE_ROOT_OID}.`)) return null;
  const fields = id.slice(ELICENCE_ROOT_OID.length + 1).split('.');
  if (fields.length !== 5) return null;
  const [typeCode, issuerCreditCode, serial, versionText, check] = fields as [string, string, string, string, string];
  if (!VERSION_TEXT_PATTERN.test(versionText) || !/^[0-9A-Z]$/.test(check)) return null;
  const parts = { typeCode, issuerCreditCode, serial, version: Number(versionText) };
  if (partsProblem(parts) !== null) return null;
  if (identifierCheckChar(typeCode, issuerCreditCode, serial, versionText) !== check) return null;
  return parts;
}

// ---------------------------------------------------------------------------
// Constants for this platform
// ---------------------------------------------------------------------------

/** 证照类型名称 of the comprehensive permit. */
export const PERMIT_LICENCE_TYPE_NAME = '综合许可凭证';

/**
 * 证照类型代码 for 综合许可凭证. ILLUSTRATIVE, not an official code: none was
 * found published. It follows the shape of codes in circulation (the defining
 * authority's 18-character credit code + a 3-digit sequence, e.g.
 * 11100000000013338W011); here a made-up Beijing municipal-level authority
 * code (division 110000) + "001".
 */
export const PERMIT_LICENCE_TYPE_CODE = `${makeCreditCode('11110000MB0000000')}001`;

/**
 * The issuing authority. The credit code is ILLUSTRATIVE: a made-up code for a
 * government body (1 = 机构编制, 1 = 机关) in Shunyi (110113) that passes the
 * GB 32100 check.
 */
export const ISSUER = Object.freeze({
  nameZh: '北京市顺义区政务服务局',
  nameEn: 'Shunyi District Government Service Bureau, Beijing',
  creditCode: makeCreditCode('11110113MB0000000'),
  divisionCode: '110113',
});

// ---------------------------------------------------------------------------
// Metadata (GB/T 36903-2018)
// ---------------------------------------------------------------------------

export type PermitLicenceStatus = 'VALID' | 'VOID' | 'SUPERSEDED';

/** 证照状态: VALID → 有效, VOID → 作废, SUPERSEDED → 已换发. */
export const LICENCE_STATUS_ZH: Readonly<Record<PermitLicenceStatus, '有效' | '作废' | '已换发'>> = Object.freeze({
  VALID: '有效',
  VOID: '作废',
  SUPERSEDED: '已换发',
});

/** 有效期截止 for a licence without an end date. */
export const VALID_INDEFINITELY = '长期';

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const CalendarDate = z.string().refine((value) => {
  const m = DATE_PATTERN.exec(value);
  return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}, 'Expected a calendar date YYYY-MM-DD');

const CreditCode = z.string().refine((value) => checkCreditCode(value).ok, 'Expected a valid unified social credit code');

const NonEmpty = z.string().trim().min(1);

export const RelatedItemSchema = z.strictObject({
  /** 事项编码 */
  itemCode: NonEmpty,
  /** 事项名称 */
  itemName: NonEmpty,
  /** 实施部门 */
  departmentName: NonEmpty,
  /** 对应许可证编号 (null when the item issues no separate licence) */
  licenceNumber: NonEmpty.nullable(),
});

/** The metadata pushed to the city e-licence library, in the GB/T 36903-2018 shape. */
export const LicenceMetadataSchema = z
  .strictObject({
    /** 证照标识 */
    identifier: z.string().refine((v) => parseElectronicLicenceIdentifier(v) !== null, 'Expected a valid electronic licence identifier'),
    /** 证照类型代码 */
    typeCode: z.string().regex(LICENCE_TYPE_CODE_PATTERN),
    /** 证照类型名称 */
    typeName: z.literal(PERMIT_LICENCE_TYPE_NAME),
    /** 证照编号 */
    number: NonEmpty,
    /** 版本号 */
    version: z.number().int().min(1).max(999),
    /** 发证机构 */
    issuer: NonEmpty,
    /** 发证机构代码 */
    issuerCode: CreditCode,
    /** 发证日期 */
    issueDate: CalendarDate,
    /** 有效期起始 */
    validFrom: CalendarDate,
    /** 有效期截止 (长期 when open-ended) */
    validTo: z.union([CalendarDate, z.literal(VALID_INDEFINITELY)]),
    /** 持证主体 */
    holder: NonEmpty,
    /** 持证主体代码 */
    holderCode: CreditCode,
    /** 持证主体代码类型 */
    holderCodeType: z.literal('统一社会信用代码'),
    /** 管辖区域 */
    jurisdiction: z.string().regex(/^\d{6}$/),
    /** 关联事项 */
    relatedItems: z.array(RelatedItemSchema).min(1),
    /** 证照状态 */
    status: z.enum(['有效', '作废', '已换发']),
  })
  .superRefine((meta, ctx) => {
    const parts = parseElectronicLicenceIdentifier(meta.identifier);
    if (parts !== null) {
      if (parts.typeCode !== meta.typeCode) {
        ctx.addIssue({ code: 'custom', path: ['typeCode'], message: 'typeCode differs from the identifier' });
      }
      if (parts.issuerCreditCode !== meta.issuerCode) {
        ctx.addIssue({ code: 'custom', path: ['issuerCode'], message: 'issuerCode differs from the identifier' });
      }
      if (parts.version !== meta.version) {
        ctx.addIssue({ code: 'custom', path: ['version'], message: 'version differs from the identifier' });
      }
    }
    if (meta.validTo !== VALID_INDEFINITELY && meta.validTo < meta.validFrom) {
      ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'validTo is before validFrom' });
    }
  });

export type LicenceMetadata = z.infer<typeof LicenceMetadataSchema>;

export interface LicenceMetadataInput {
  identifier: string;
  /** The permit code (证照编号). */
  number: string;
  version: number;
  issuedAt: Date;
  validFrom: Date;
  validUntil: Date | null;
  holderName: string;
  holderCreditCode: string;
  status: PermitLicenceStatus;
  relatedItems: { itemCode: string; itemName: string; departmentName: string; licenceNumber: string | null }[];
}

/** The Beijing calendar date of a metadata instant (a RangeError naming the field when it is no date). */
function calendarDate(value: Date, field: string): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`${field} must be a valid Date`);
  }
  return beijingDate(value);
}

/**
 * Metadata for one permit version. Dates are calendar dates in Beijing time.
 * Throws RangeError for an invalid Date or unknown status, and a ZodError when
 * the result does not satisfy LicenceMetadataSchema (bad identifier, identifier
 * not matching the version / platform type code / issuer, bad credit code, …).
 */
export function licenceMetadata(input: LicenceMetadataInput): LicenceMetadata {
  const status = LICENCE_STATUS_ZH[input.status];
  if (status === undefined) throw new RangeError(`Unknown licence status "${String(input.status)}"`);
  const candidate = {
    identifier: input.identifier,
    typeCode: PERMIT_LICENCE_TYPE_CODE,
    typeName: PERMIT_LICENCE_TYPE_NAME,
    number: input.number,
    version: input.version,
    issuer: ISSUER.nameZh,
    issuerCode: ISSUER.creditCode,
    issueDate: calendarDate(input.issuedAt, 'issuedAt'),
    validFrom: calendarDate(input.validFrom, 'validFrom'),
    validTo: input.validUntil === null ? VALID_INDEFINITELY : calendarDate(input.validUntil, 'validUntil'),
    holder: input.holderName,
    holderCode: input.holderCreditCode,
    holderCodeType: '统一社会信用代码',
    jurisdiction: ISSUER.divisionCode,
    relatedItems: input.relatedItems.map((item) => ({ ...item })),
    status,
  };
  return LicenceMetadataSchema.parse(candidate);
}
