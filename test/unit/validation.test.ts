import {
  ADDRESS_DEFAULT_MAX_LENGTH,
  CREDIT_CODE_ALPHABET,
  MAX_ATTACHMENT_BYTES,
  checkCreditCode,
  checkIdNumber,
  creditCodeCheckCharacter,
  isCalendarDate,
  makeCreditCode,
  makeIdNumber,
  maskIdNumber,
  maskPersonName,
  maskPhone,
  validateFormValues,
  type ElementType,
  type FieldDefinition,
} from '../../shared/validation';

/** Replaces the last character with a different character from the same alphabet. */
function corruptLast(value: string, alphabet: string): string {
  const last = value.charAt(value.length - 1);
  const replacement = alphabet.split('').find((c) => c !== last)!;
  return value.slice(0, -1) + replacement;
}

describe('unified social credit code', () => {
  // 914403001922038216 is Huawei Technologies Co., Ltd. (published on its Wikipedia infobox);
  // 91110000802100433B is the example given in the brief. Both pass the GB 32100 check.
  const published = ['914403001922038216', '91110000802100433B'];

  it.each(published)('accepts the published code %s', (code) => {
    expect(checkCreditCode(code)).toEqual({ ok: true });
    expect(creditCodeCheckCharacter(code.slice(0, 17))).toBe(code.charAt(17));
  });

  it.each(published)('rejects %s with any other last character', (code) => {
    for (const c of CREDIT_CODE_ALPHABET) {
      if (c === code.charAt(17)) continue;
      expect(checkCreditCode(code.slice(0, 17) + c)).toEqual({ ok: false, reason: 'CHECK_CHARACTER' });
    }
  });

  it('computes check characters that make generated codes valid', () => {
    const bodies = ['91110105MA01ABCDE', '12100000400000001', '93110108MA00XYW12', 'Y1110000000000000'];
    for (const body of bodies) {
      const code = makeCreditCode(body);
      expect(code).toHaveLength(18);
      expect(code.startsWith(body)).toBe(true);
      expect(checkCreditCode(code)).toEqual({ ok: true });
      expect(checkCreditCode(corruptLast(code, CREDIT_CODE_ALPHABET))).toEqual({
        ok: false,
        reason: 'CHECK_CHARACTER',
      });
    }
  });

  it('maps a weighted-sum remainder of 0 to check character 0', () => {
    // All-zero body: sum 0 → 31 - 0 = 31 → '0'.
    expect(creditCodeCheckCharacter('00000000000000000')).toBe('0');
    // '1' then zeros: sum 1 → 30 → alphabet[30] = 'Y'.
    expect(creditCodeCheckCharacter('10000000000000000')).toBe('Y');
  });

  it('reports wrong length', () => {
    expect(checkCreditCode('')).toEqual({ ok: false, reason: 'LENGTH' });
    expect(checkCreditCode('91440300192203821')).toEqual({ ok: false, reason: 'LENGTH' });
    expect(checkCreditCode('9144030019220382160')).toEqual({ ok: false, reason: 'LENGTH' });
  });

  it('reports characters outside the alphabet or non-digits in the division code', () => {
    const valid = '914403001922038216';
    for (const letter of ['I', 'O', 'S', 'V', 'Z']) {
      expect(checkCreditCode(letter + valid.slice(1))).toEqual({ ok: false, reason: 'CHARSET' });
    }
    expect(checkCreditCode('91110000802100433b')).toEqual({ ok: false, reason: 'CHARSET' });
    expect(checkCreditCode('91A403001922038216')).toEqual({ ok: false, reason: 'CHARSET' });
    expect(checkCreditCode('91440300192203821-')).toEqual({ ok: false, reason: 'CHARSET' });
  });

  it('does not enforce the organisation code check at position 17', () => {
    // Any alphabet character in positions 9-17 is acceptable as long as the final check is right.
    expect(checkCreditCode(makeCreditCode('91110000AAAAAAAAA'))).toEqual({ ok: true });
  });

  it('refuses to build a code from a malformed body', () => {
    expect(() => makeCreditCode('9111000080210043')).toThrow(RangeError);
    expect(() => creditCodeCheckCharacter('9111000080210043I')).toThrow(RangeError);
  });
});

describe('resident ID number', () => {
  const now = new Date('2025-06-15T12:00:00Z');

  it('builds the GB 11643 sample numbers', () => {
    expect(makeIdNumber('11010519491231002')).toBe('11010519491231002X');
    expect(makeIdNumber('44052418800101001')).toBe('440524188001010014');
  });

  it('accepts a generated number and its lowercase-x variant', () => {
    const id = makeIdNumber('11010519491231002');
    expect(checkIdNumber(id, now)).toEqual({ ok: true });
    expect(checkIdNumber(id.toLowerCase(), now)).toEqual({ ok: true });
    // The masking example number does not carry a valid check character (it should end in 4).
    expect(checkIdNumber('110101199003077777', now)).toEqual({ ok: false, reason: 'CHECK_CHARACTER' });
    expect(checkIdNumber('110101199003077774', now)).toEqual({ ok: true });
  });

  it('rejects a wrong check character', () => {
    const id = makeIdNumber('11010119900307123');
    expect(checkIdNumber(corruptLast(id, '0123456789X'), now)).toEqual({ ok: false, reason: 'CHECK_CHARACTER' });
  });

  it('rejects impossible and future birth dates', () => {
    expect(checkIdNumber(makeIdNumber('11010119990230123'), now)).toEqual({ ok: false, reason: 'BIRTH_DATE' });
    expect(checkIdNumber(makeIdNumber('11010119991301123'), now)).toEqual({ ok: false, reason: 'BIRTH_DATE' });
    expect(checkIdNumber(makeIdNumber('11010120250616123'), now)).toEqual({ ok: false, reason: 'BIRTH_DATE' });
    expect(checkIdNumber(makeIdNumber('11010120000229123'), now)).toEqual({ ok: true });
    expect(checkIdNumber(makeIdNumber('11010119000229123'), now)).toEqual({ ok: false, reason: 'BIRTH_DATE' });
  });

  it('judges "today" in China Standard Time', () => {
    const justAfterMidnightBeijing = new Date('2025-06-14T16:30:00Z');
    expect(checkIdNumber(makeIdNumber('11010120250615123'), justAfterMidnightBeijing)).toEqual({ ok: true });
    expect(checkIdNumber(makeIdNumber('11010120250616123'), justAfterMidnightBeijing)).toEqual({
      ok: false,
      reason: 'BIRTH_DATE',
    });
  });

  it('reports wrong length and characters', () => {
    expect(checkIdNumber('11010519491231002', now)).toEqual({ ok: false, reason: 'LENGTH' });
    expect(checkIdNumber('110105194912310021X', now)).toEqual({ ok: false, reason: 'LENGTH' });
    expect(checkIdNumber('1101051949123100X2', now)).toEqual({ ok: false, reason: 'CHARSET' });
    expect(checkIdNumber('11010519491231002Y', now)).toEqual({ ok: false, reason: 'CHARSET' });
  });

  it('refuses to build from non-digits', () => {
    expect(() => makeIdNumber('1101051949123100X')).toThrow(RangeError);
  });

  it('recognises real calendar dates', () => {
    expect(isCalendarDate(2024, 2, 29)).toBe(true);
    expect(isCalendarDate(2023, 2, 29)).toBe(false);
    expect(isCalendarDate(2000, 4, 31)).toBe(false);
    expect(isCalendarDate(2000, 0, 1)).toBe(false);
  });
});

describe('masking', () => {
  it('masks ID numbers keeping the first 6 and last 4 characters', () => {
    expect(maskIdNumber('110101199003077777')).toBe('110101********7777');
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
    expect(maskIdNumber('110101900307777')).toBe('110101*****7777');
  });

  it('masks phone numbers keeping the first 3 and last 4 characters', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('010-12345678')).toBe('010*****5678');
  });

  it('masks all but the first character of a name', () => {
    expect(maskPersonName('张三丰')).toBe('张**');
    expect(maskPersonName('张三')).toBe('张*');
    expect(maskPersonName('张')).toBe('*');
    expect(maskPersonName('𠮷野家')).toBe('𠮷**');
  });

  it('returns null for null and undefined', () => {
    expect(maskIdNumber(null)).toBeNull();
    expect(maskPhone(undefined)).toBeNull();
    expect(maskPersonName(null)).toBeNull();
  });

  it('hides at least half of strings too short for the usual kept ends', () => {
    expect(maskPhone('')).toBe('');
    expect(maskPhone('123')).toBe('***');
    expect(maskPhone('12345678')).toBe('12****78');
    expect(maskIdNumber('1234567890')).toBe('12******90');
    expect(maskPersonName('')).toBe('');
    expect(maskPhone('  13812345678 ')).toBe('138****5678');
  });
});

describe('validateFormValues', () => {
  const field = (type: ElementType, extra: Partial<FieldDefinition> = {}): FieldDefinition => ({
    key: type.toLowerCase(),
    type,
    labelZh: `${type}字段`,
    labelEn: `${type} field`,
    required: true,
    ...extra,
  });

  const options = [
    { value: 'FOOD', labelZh: '食品', labelEn: 'Food' },
    { value: 'DRINK', labelZh: '饮品', labelEn: 'Drinks' },
    { value: 'ALCOHOL', labelZh: '酒类', labelEn: 'Alcohol' },
  ];

  const attachment = {
    sha256: 'a'.repeat(64),
    size: 1024,
    mediaType: 'application/pdf',
    name: '营业执照.pdf',
  };

  const creditCode = '914403001922038216';
  const idNumber = makeIdNumber('11010119900307123');

  const fields: FieldDefinition[] = [
    field('TEXT', { maxLength: 10 }),
    field('NUMBER', { min: 0, max: 10 }),
    { ...field('NUMBER', { min: 0, max: 500, integer: true }), key: 'whole_number' },
    field('AREA', {
      min: 1,
      max: 100000,
      labelZh: '经营场所面积（平方米）',
      labelEn: 'Premises floor area (m²)',
    }),
    field('ENUM', { options }),
    field('MULTI_ENUM', { options }),
    field('BOOLEAN'),
    field('DATE'),
    field('ADDRESS'),
    field('PERSON_NAME'),
    field('CREDIT_CODE'),
    field('ID_NUMBER'),
    field('PHONE'),
    field('ATTACHMENT'),
  ];

  const validValues: Record<string, unknown> = {
    text: '小张餐饮',
    number: 0,
    whole_number: 12,
    area: 120.5,
    enum: 'FOOD',
    multi_enum: ['FOOD', 'DRINK'],
    boolean: false,
    date: '2024-02-29',
    address: '北京市东城区东华门街道 1 号',
    person_name: '张三',
    credit_code: creditCode,
    id_number: idNumber,
    phone: '13812345678',
    attachment,
  };

  const withValue = (key: string, value: unknown): Record<string, unknown> => ({ ...validValues, [key]: value });

  it('accepts a complete valid submission', () => {
    expect(validateFormValues(fields, validValues)).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['text', '  十个字以内  '],
    ['number', 10],
    ['number', 2.5],
    ['area', 1],
    ['area', 100000],
    ['enum', 'ALCOHOL'],
    ['multi_enum', ['ALCOHOL']],
    ['boolean', true],
    ['date', '2000-12-31'],
    ['address', 'x'.repeat(ADDRESS_DEFAULT_MAX_LENGTH)],
    ['person_name', '阿依古丽·买买提'],
    ['credit_code', makeCreditCode('92110101MA00ABCDE')],
    ['id_number', '11010519491231002x'],
    ['phone', '010-12345678'],
    ['phone', '0755-1234567'],
    ['attachment', { ...attachment, mediaType: 'image/png', size: MAX_ATTACHMENT_BYTES, sha256: 'ABCDEF0123'.repeat(6) + 'abcd' }],
    ['attachment', { ...attachment, mediaType: 'image/jpeg' }],
  ])('accepts %s = %j', (key, value) => {
    expect(validateFormValues(fields, withValue(key, value))).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['text', 'x'.repeat(11), 'TOO_LONG'],
    ['text', 42, 'INVALID_TYPE'],
    ['number', 11, 'OUT_OF_RANGE'],
    ['number', -1, 'OUT_OF_RANGE'],
    ['number', '5', 'INVALID_TYPE'],
    ['number', Number.NaN, 'INVALID_TYPE'],
    ['number', Number.POSITIVE_INFINITY, 'INVALID_TYPE'],
    ['whole_number', 2.5, 'NOT_INTEGER'],
    ['area', 0.5, 'OUT_OF_RANGE'],
    ['area', 100001, 'OUT_OF_RANGE'],
    ['enum', 'TOBACCO', 'INVALID_OPTION'],
    ['enum', ['FOOD'], 'INVALID_TYPE'],
    ['multi_enum', ['FOOD', 'TOBACCO'], 'INVALID_OPTION'],
    ['multi_enum', ['FOOD', 'FOOD'], 'INVALID_OPTION'],
    ['multi_enum', [1], 'INVALID_OPTION'],
    ['multi_enum', 'FOOD', 'INVALID_TYPE'],
    ['boolean', 'true', 'INVALID_TYPE'],
    ['date', '2023-02-29', 'INVALID_DATE'],
    ['date', '2024/01/01', 'INVALID_DATE'],
    ['date', '2024-1-1', 'INVALID_DATE'],
    ['date', 20240101, 'INVALID_TYPE'],
    ['address', 'x'.repeat(ADDRESS_DEFAULT_MAX_LENGTH + 1), 'TOO_LONG'],
    ['person_name', '张', 'TOO_SHORT'],
    ['person_name', '张'.repeat(51), 'TOO_LONG'],
    ['credit_code', corruptLast(creditCode, CREDIT_CODE_ALPHABET), 'INVALID_CREDIT_CODE'],
    ['credit_code', creditCode.slice(1), 'INVALID_CREDIT_CODE'],
    ['id_number', '110101199902301234', 'INVALID_ID_NUMBER'],
    ['id_number', corruptLast(idNumber, '0123456789X'), 'INVALID_ID_NUMBER'],
    ['phone', '12812345678', 'INVALID_PHONE'],
    ['phone', '1381234567', 'INVALID_PHONE'],
    ['phone', '010-123456', 'INVALID_PHONE'],
    ['phone', 13812345678, 'INVALID_TYPE'],
    ['attachment', { ...attachment, sha256: 'a'.repeat(63) }, 'INVALID_ATTACHMENT'],
    ['attachment', { ...attachment, size: MAX_ATTACHMENT_BYTES + 1 }, 'INVALID_ATTACHMENT'],
    ['attachment', { ...attachment, size: 0 }, 'INVALID_ATTACHMENT'],
    ['attachment', { ...attachment, size: 1.5 }, 'INVALID_ATTACHMENT'],
    ['attachment', { ...attachment, mediaType: 'image/gif' }, 'INVALID_ATTACHMENT'],
    ['attachment', { ...attachment, name: 3 }, 'INVALID_ATTACHMENT'],
    ['attachment', { ...attachment, url: 'http://example.com' }, 'INVALID_ATTACHMENT'],
    ['attachment', 'file.pdf', 'INVALID_TYPE'],
  ])('rejects %s = %j with %s', (key, value, code) => {
    const errors = validateFormValues(fields, withValue(key, value));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: `values.${key}`, code });
  });

  it('names the field in both languages', () => {
    const [error] = validateFormValues(fields, withValue('area', 0));
    expect(error).toEqual({
      path: 'values.area',
      code: 'OUT_OF_RANGE',
      messageZh: '「经营场所面积（平方米）」应在 1 至 100000 之间',
      messageEn: '“Premises floor area (m²)” must be between 1 and 100000',
    });
  });

  it('keeps AREA strictly positive when no positive minimum is configured', () => {
    const area = field('AREA', { min: 0 });
    expect(validateFormValues([area], { area: 0 })).toMatchObject([
      { code: 'OUT_OF_RANGE', messageEn: '“AREA field” must be greater than 0' },
    ]);
    expect(validateFormValues([area], { area: 0.01 })).toEqual([]);
  });

  it('explains why a credit code or ID number is invalid', () => {
    const [credit] = validateFormValues(fields, withValue('credit_code', corruptLast(creditCode, CREDIT_CODE_ALPHABET)));
    expect(credit?.messageZh).toBe('「CREDIT_CODE字段」不是有效的统一社会信用代码：校验位不正确');
    const [id] = validateFormValues(fields, withValue('id_number', makeIdNumber('11010119990230123')));
    expect(id?.messageEn).toBe('“ID_NUMBER field” is not a valid resident ID number: it contains an invalid birth date');
  });

  it.each<[unknown]>([[undefined], [null], [''], ['   '], [[]]])('treats %j as missing', (empty) => {
    const errors = validateFormValues(fields, withValue('multi_enum', empty));
    expect(errors).toEqual([
      {
        path: 'values.multi_enum',
        code: 'REQUIRED',
        messageZh: '「MULTI_ENUM字段」为必填项',
        messageEn: '“MULTI_ENUM field” is required',
      },
    ]);
  });

  it('reports every missing required field and ignores missing optional ones', () => {
    const optional = fields.map((f) => ({ ...f, required: f.type === 'TEXT' || f.type === 'PHONE' }));
    const errors = validateFormValues(optional, {});
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['values.text', 'REQUIRED'],
      ['values.phone', 'REQUIRED'],
    ]);
  });

  it('still validates optional fields that have a value', () => {
    const optionalPhone = field('PHONE', { required: false });
    expect(validateFormValues([optionalPhone], {})).toEqual([]);
    expect(validateFormValues([optionalPhone], { phone: '' })).toEqual([]);
    expect(validateFormValues([optionalPhone], { phone: 'abc' })).toMatchObject([{ code: 'INVALID_PHONE' }]);
  });

  it('reports unknown fields, including prototype-looking keys', () => {
    const values = { ...validValues, extra: 1 };
    Object.defineProperty(values, 'constructor', { value: 'x', enumerable: true });
    const errors = validateFormValues(fields, values);
    expect(errors).toEqual([
      {
        path: 'values.extra',
        code: 'UNKNOWN_FIELD',
        messageZh: '「extra」不是此表单的字段',
        messageEn: '“extra” is not a field of this form',
      },
      expect.objectContaining({ path: 'values.constructor', code: 'UNKNOWN_FIELD' }),
    ]);
  });

  it('returns all errors at once, with a custom path prefix', () => {
    const errors = validateFormValues(
      fields,
      {
        ...validValues,
        text: undefined,
        area: -5,
        phone: '123',
        attachment: { ...attachment, mediaType: 'text/plain' },
        surprise: true,
      },
      'input.values',
    );
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['input.values.text', 'REQUIRED'],
      ['input.values.area', 'OUT_OF_RANGE'],
      ['input.values.phone', 'INVALID_PHONE'],
      ['input.values.attachment', 'INVALID_ATTACHMENT'],
      ['input.values.surprise', 'UNKNOWN_FIELD'],
    ]);
    for (const error of errors) {
      expect(error.messageZh).toMatch(/^「.+」/);
      expect(error.messageEn).toMatch(/^“.+” /);
    }
  });

  it('rejects a non-object submission', () => {
    const errors = validateFormValues(fields, null as unknown as Record<string, unknown>);
    expect(errors).toMatchObject([{ path: 'values', code: 'INVALID_TYPE' }]);
  });
});
