/** Validation of submitted form values against their field definitions. */
import { z } from 'zod';
import { checkCreditCode, type CreditCodeFailure } from './credit-code';
import { checkIdNumber, isCalendarDate, type IdNumberFailure } from './id-number';

export type ElementType =
  | 'TEXT'
  | 'NUMBER'
  | 'AREA'
  | 'ENUM'
  | 'MULTI_ENUM'
  | 'BOOLEAN'
  | 'DATE'
  | 'ADDRESS'
  | 'PERSON_NAME'
  | 'CREDIT_CODE'
  | 'ID_NUMBER'
  | 'PHONE'
  | 'ATTACHMENT';

export interface FieldDefinition {
  key: string;
  type: ElementType;
  labelZh: string;
  labelEn: string;
  required: boolean;
  min?: number;
  max?: number;
  maxLength?: number;
  /** NUMBER only: whole numbers (counts of rooms, seats, staff…). */
  integer?: boolean;
  options?: { value: string; labelZh: string; labelEn: string }[];
}

export interface FieldError {
  path: string;
  code: string;
  messageZh: string;
  messageEn: string;
}

export const PERSON_NAME_MIN_LENGTH = 2;
export const PERSON_NAME_MAX_LENGTH = 50;
export const ADDRESS_DEFAULT_MAX_LENGTH = 200;
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
export const ATTACHMENT_MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;

const attachmentSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  size: z.number().int().positive().max(MAX_ATTACHMENT_BYTES),
  mediaType: z.enum(ATTACHMENT_MEDIA_TYPES),
  name: z.string().trim().min(1).max(255),
});

export type AttachmentValue = z.infer<typeof attachmentSchema>;

const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
// Area code (3-4 digits starting with 0), a hyphen, then a 7-8 digit local number.
const LANDLINE_PATTERN = /^0\d{2,3}-\d{7,8}$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** What is wrong, as the predicate of a sentence whose subject is the field label. */
interface Problem {
  code: string;
  zh: string;
  en: string;
}

type Validator = (value: unknown, field: FieldDefinition) => Problem | null;

const problem = (code: string, zh: string, en: string): Problem => ({ code, zh, en });

function invalidType(expectedZh: string, expectedEn: string): Problem {
  return problem('INVALID_TYPE', `应为${expectedZh}`, `must be ${expectedEn}`);
}

/** Length in code points, so that e.g. rare CJK characters outside the BMP count once. */
function textLength(text: string): number {
  return Array.from(text).length;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  return Array.isArray(value) && value.length === 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- numbers

interface LowerBound {
  value: number;
  inclusive: boolean;
}

function lowerBoundFor(field: FieldDefinition): LowerBound | undefined {
  const min = field.min;
  if (field.type !== 'AREA') return min === undefined ? undefined : { value: min, inclusive: true };
  // An area is always strictly positive, whatever (smaller) minimum was configured.
  return min !== undefined && min > 0 ? { value: min, inclusive: true } : { value: 0, inclusive: false };
}

function rangeProblem(lower: LowerBound | undefined, upper: number | undefined): Problem {
  const code = 'OUT_OF_RANGE';
  if (lower && upper !== undefined) {
    return lower.inclusive
      ? problem(code, `应在 ${lower.value} 至 ${upper} 之间`, `must be between ${lower.value} and ${upper}`)
      : problem(code, `应大于 ${lower.value} 且不大于 ${upper}`, `must be greater than ${lower.value} and at most ${upper}`);
  }
  if (lower) {
    return lower.inclusive
      ? problem(code, `应不小于 ${lower.value}`, `must be at least ${lower.value}`)
      : problem(code, `应大于 ${lower.value}`, `must be greater than ${lower.value}`);
  }
  return problem(code, `应不大于 ${upper}`, `must be at most ${upper}`);
}

const validateNumber: Validator = (value, field) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return invalidType('数字', 'a number');
  if (field.integer && !Number.isInteger(value)) return problem('NOT_INTEGER', '应为整数', 'must be a whole number');
  const lower = lowerBoundFor(field);
  const tooLow = lower !== undefined && (lower.inclusive ? value < lower.value : value <= lower.value);
  const tooHigh = field.max !== undefined && value > field.max;
  return tooLow || tooHigh ? rangeProblem(lower, field.max) : null;
};

// ---------------------------------------------------------------- text

function checkTextLength(value: unknown, minLength: number, maxLength: number | undefined): Problem | null {
  if (typeof value !== 'string') return invalidType('文本', 'text');
  const length = textLength(value.trim());
  if (length < minLength) {
    return problem('TOO_SHORT', `至少应有 ${minLength} 个字符`, `must be at least ${minLength} characters long`);
  }
  if (maxLength !== undefined && length > maxLength) {
    return problem('TOO_LONG', `不能超过 ${maxLength} 个字符`, `must be at most ${maxLength} characters long`);
  }
  return null;
}

const validateText: Validator = (value, field) => checkTextLength(value, 1, field.maxLength);

const validateAddress: Validator = (value, field) =>
  checkTextLength(value, 1, field.maxLength ?? ADDRESS_DEFAULT_MAX_LENGTH);

const validatePersonName: Validator = (value, field) =>
  checkTextLength(
    value,
    PERSON_NAME_MIN_LENGTH,
    Math.min(field.maxLength ?? PERSON_NAME_MAX_LENGTH, PERSON_NAME_MAX_LENGTH),
  );

// ---------------------------------------------------------------- choices

function optionValues(field: FieldDefinition): Set<string> {
  return new Set((field.options ?? []).map((option) => option.value));
}

const notAnOption = (): Problem =>
  problem('INVALID_OPTION', '的取值不在可选项中', 'must be one of the available options');

const validateEnum: Validator = (value, field) => {
  if (typeof value !== 'string') return invalidType('单个选项', 'a single option');
  return optionValues(field).has(value) ? null : notAnOption();
};

const validateMultiEnum: Validator = (value, field) => {
  if (!Array.isArray(value)) return invalidType('选项列表', 'a list of options');
  const allowed = optionValues(field);
  if (!value.every((item) => typeof item === 'string' && allowed.has(item))) {
    return problem('INVALID_OPTION', '包含不在可选项中的取值', 'contains values that are not available options');
  }
  if (new Set(value).size !== value.length) {
    return problem('INVALID_OPTION', '包含重复的选项', 'contains duplicate options');
  }
  return null;
};

const validateBoolean: Validator = (value) =>
  typeof value === 'boolean' ? null : invalidType('是或否', 'true or false');

// ---------------------------------------------------------------- formatted strings

const validateDate: Validator = (value) => {
  if (typeof value !== 'string') return invalidType('日期', 'a date');
  const match = DATE_PATTERN.exec(value);
  const real = match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
  return real
    ? null
    : problem('INVALID_DATE', '应为有效日期（格式 YYYY-MM-DD）', 'must be a valid date in the form YYYY-MM-DD');
};

const CREDIT_CODE_REASONS: Record<CreditCodeFailure, [string, string]> = {
  LENGTH: ['应为 18 位', 'must be 18 characters long'],
  CHARSET: ['包含无效字符', 'contains invalid characters'],
  CHECK_CHARACTER: ['校验位不正确', 'has an incorrect check character'],
};

const validateCreditCode: Validator = (value) => {
  if (typeof value !== 'string') return invalidType('文本', 'text');
  const result = checkCreditCode(value);
  if (result.ok) return null;
  const [zh, en] = CREDIT_CODE_REASONS[result.reason];
  return problem('INVALID_CREDIT_CODE', `不是有效的统一社会信用代码：${zh}`, `is not a valid unified social credit code: it ${en}`);
};

const ID_NUMBER_REASONS: Record<IdNumberFailure, [string, string]> = {
  LENGTH: ['应为 18 位', 'must be 18 characters long'],
  CHARSET: ['应为 17 位数字加一位数字或 X', 'must be 17 digits followed by a digit or X'],
  BIRTH_DATE: ['出生日期无效', 'contains an invalid birth date'],
  CHECK_CHARACTER: ['校验位不正确', 'has an incorrect check character'],
};

const validateIdNumber: Validator = (value) => {
  if (typeof value !== 'string') return invalidType('文本', 'text');
  const result = checkIdNumber(value);
  if (result.ok) return null;
  const [zh, en] = ID_NUMBER_REASONS[result.reason];
  return problem('INVALID_ID_NUMBER', `不是有效的居民身份证号码：${zh}`, `is not a valid resident ID number: it ${en}`);
};

const validatePhone: Validator = (value) => {
  if (typeof value !== 'string') return invalidType('文本', 'text');
  return MOBILE_PATTERN.test(value) || LANDLINE_PATTERN.test(value)
    ? null
    : problem(
        'INVALID_PHONE',
        '应为 11 位手机号码或带区号的固定电话（如 010-12345678）',
        'must be an 11-digit mobile number or a landline with area code (e.g. 010-12345678)',
      );
};

// ---------------------------------------------------------------- attachments

const ATTACHMENT_PROPERTY_PROBLEMS: Record<string, [string, string]> = {
  sha256: ['的 SHA-256 摘要应为 64 位十六进制字符', 'must have a SHA-256 digest of 64 hexadecimal characters'],
  size: ['的文件大小应在 1 字节至 20 MiB 之间', 'must have a file size between 1 byte and 20 MiB'],
  mediaType: ['的文件类型仅限 PDF、JPEG 或 PNG', 'must be a PDF, JPEG or PNG file'],
  name: ['的文件名不能为空且不超过 255 个字符', 'must have a non-empty file name of at most 255 characters'],
};

const validateAttachment: Validator = (value) => {
  if (!isPlainObject(value)) return invalidType('附件', 'an attachment');
  const result = attachmentSchema.safeParse(value);
  if (result.success) return null;
  const issue = result.error.issues[0];
  const property = issue?.code === 'unrecognized_keys' ? undefined : issue?.path[0];
  const [zh, en] = (typeof property === 'string' && ATTACHMENT_PROPERTY_PROBLEMS[property]) || [
    '包含不支持的属性或格式无效',
    'is malformed or has unsupported properties',
  ];
  return problem('INVALID_ATTACHMENT', zh, en);
};

// ---------------------------------------------------------------- assembly

const VALIDATORS: Record<ElementType, Validator> = {
  TEXT: validateText,
  NUMBER: validateNumber,
  AREA: validateNumber,
  ENUM: validateEnum,
  MULTI_ENUM: validateMultiEnum,
  BOOLEAN: validateBoolean,
  DATE: validateDate,
  ADDRESS: validateAddress,
  PERSON_NAME: validatePersonName,
  CREDIT_CODE: validateCreditCode,
  ID_NUMBER: validateIdNumber,
  PHONE: validatePhone,
  ATTACHMENT: validateAttachment,
};

function joinPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function toFieldError(path: string, labelZh: string, labelEn: string, found: Problem): FieldError {
  return {
    path,
    code: found.code,
    messageZh: `「${labelZh}」${found.zh}`,
    messageEn: `“${labelEn}” ${found.en}`,
  };
}

function checkField(field: FieldDefinition, value: unknown): Problem | null {
  if (isEmpty(value)) {
    return field.required ? problem('REQUIRED', '为必填项', 'is required') : null;
  }
  const validate = VALIDATORS[field.type] as Validator | undefined;
  // Field definitions may come from stored data, so an unknown type must not crash validation.
  return validate ? validate(value, field) : problem('INVALID_TYPE', '的字段类型不受支持', 'has an unsupported field type');
}

/**
 * Validates `values` against `fields` and returns every problem found (empty when valid):
 * one error at most per defined field, plus one per key that no field defines.
 */
export function validateFormValues(
  fields: FieldDefinition[],
  values: Record<string, unknown>,
  pathPrefix = 'values',
): FieldError[] {
  // Values usually arrive as an untyped JSON scalar, so guard against non-objects at runtime.
  if (!isPlainObject(values)) {
    return [toFieldError(pathPrefix, '表单内容', 'Form values', invalidType('对象', 'an object'))];
  }
  const errors: FieldError[] = [];
  const byKey = new Map(fields.map((field) => [field.key, field]));
  for (const field of byKey.values()) {
    const value = Object.prototype.hasOwnProperty.call(values, field.key) ? values[field.key] : undefined;
    const found = checkField(field, value);
    if (found) errors.push(toFieldError(joinPath(pathPrefix, field.key), field.labelZh, field.labelEn, found));
  }
  for (const key of Object.keys(values)) {
    if (!byKey.has(key)) {
      const unknown = problem('UNKNOWN_FIELD', '不是此表单的字段', 'is not a field of this form');
      errors.push(toFieldError(joinPath(pathPrefix, key), key, key, unknown));
    }
  }
  return errors;
}
