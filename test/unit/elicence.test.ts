import { randomInt } from 'node:crypto';
import { ZodError } from 'zod';
import {
  ELICENCE_ROOT_OID,
  ISO7064_ALPHANUMERIC,
  ISSUER,
  LicenceMetadataSchema,
  PERMIT_LICENCE_TYPE_CODE,
  electronicLicenceIdentifier,
  iso7064Mod3736CheckChar,
  isValidIso7064Mod3736,
  licenceMetadata,
  parseElectronicLicenceIdentifier,
  type LicenceMetadataInput,
} from '../../shared/elicence';
import { checkCreditCode, makeCreditCode } from '../../shared/validation';

const A = ISO7064_ALPHANUMERIC;

/**
 * An independent second implementation, written the other way round (the
 * formulation used by python-stdnum): a running checksum that must come out
 * as 1 for a string that includes its check character.
 */
function referenceChecksum(chars: string): number {
  let check = 18; // M / 2
  for (const ch of chars) check = ((((check || 36) * 2) % 37) + A.indexOf(ch)) % 36;
  return check;
}
function referenceCheckChar(chars: string): string {
  return A.charAt((1 - (((referenceChecksum(chars) || 36) * 2) % 37) + 36) % 36);
}

function randomAlnum(length: number): string {
  return Array.from({ length }, () => A.charAt(randomInt(36))).join('');
}

describe('ISO/IEC 7064 MOD 37,36', () => {
  it('matches hand-computed vectors', () => {
    // "0": p=36; s=(0+36)%36=0→36; p=72%37=35; c=(37-35)%36=2 → "2".
    expect(iso7064Mod3736CheckChar('0')).toBe('2');
    // "A" (10): s=(10+36)%36=10; p=20; c=17 → "H".
    expect(iso7064Mod3736CheckChar('A')).toBe('H');
    // "AB": after "A" p=20; "B" (11): s=31; p=62%37=25; c=12 → "C".
    expect(iso7064Mod3736CheckChar('AB')).toBe('C');
    // "Z" (35): s=(35+36)%36=35; p=70%37=33; c=4 → "4".
    expect(iso7064Mod3736CheckChar('Z')).toBe('4');
  });

  it('matches the published example A12425GABC1234002 → M', () => {
    expect(iso7064Mod3736CheckChar('A12425GABC1234002')).toBe('M');
    expect(isValidIso7064Mod3736('A12425GABC1234002M')).toBe(true);
  });

  it('agrees with an independent implementation on random inputs', () => {
    for (let i = 0; i < 500; i += 1) {
      const input = randomAlnum(1 + randomInt(40));
      const check = iso7064Mod3736CheckChar(input);
      expect(check).toBe(referenceCheckChar(input));
      expect(referenceChecksum(input + check)).toBe(1);
    }
  });

  it('makes exactly one check character valid for each input', () => {
    for (let i = 0; i < 200; i += 1) {
      const input = randomAlnum(1 + randomInt(30));
      const valid = A.split('').filter((c) => isValidIso7064Mod3736(input + c));
      expect(valid).toEqual([iso7064Mod3736CheckChar(input)]);
    }
  });

  it('detects every single-character substitution', () => {
    for (let i = 0; i < 40; i += 1) {
      const good = (() => {
        const body = randomAlnum(2 + randomInt(20));
        return body + iso7064Mod3736CheckChar(body);
      })();
      for (let pos = 0; pos < good.length; pos += 1) {
        for (const c of A) {
          if (c === good.charAt(pos)) continue;
          const bad = good.slice(0, pos) + c + good.slice(pos + 1);
          expect(isValidIso7064Mod3736(bad)).toBe(false);
        }
      }
    }
  });

  // A hybrid system does not catch every adjacent transposition: for each
  // running state exactly one unordered pair of characters commutes. From the
  // start state (p = 36) that pair is I/J (values 18, 19): "IJ" → s=18, p=36;
  // s=(19+36)%36=19, p=38%37=1; "JI" → s=19, p=1; s=(18+1)%36=19, p=1 — equal.
  it('misses the swap of I and J at the start, as the hybrid system predicts', () => {
    expect(iso7064Mod3736CheckChar('IJ')).toBe(iso7064Mod3736CheckChar('JI'));
    expect(iso7064Mod3736CheckChar('IJ')).toBe('0'); // p=1 → c=(37-1)%36=0 → "0"
  });

  it('detects every other swap of two adjacent different characters at the start', () => {
    for (const a of A) {
      for (const b of A) {
        if (a === b || a + b === 'IJ' || a + b === 'JI') continue;
        const good = a + b + iso7064Mod3736CheckChar(a + b);
        expect(isValidIso7064Mod3736(b + a + good.charAt(2))).toBe(false);
      }
    }
  });

  it('after any prefix, misses exactly one unordered pair of adjacent swaps (about 0.16%)', () => {
    for (let i = 0; i < 30; i += 1) {
      const prefix = randomAlnum(randomInt(20));
      const missed: string[] = [];
      for (const a of A) {
        for (const b of A) {
          if (a === b) continue;
          const good = prefix + a + b + iso7064Mod3736CheckChar(prefix + a + b);
          if (isValidIso7064Mod3736(prefix + b + a + good.charAt(good.length - 1))) missed.push(a + b);
        }
      }
      expect(missed).toHaveLength(2);
      expect(missed[1]).toBe(missed[0]!.charAt(1) + missed[0]!.charAt(0));
    }
  });

  it('is case-insensitive and ignores ASCII non-alphanumerics', () => {
    expect(iso7064Mod3736CheckChar('a12425gabc1234002')).toBe('M');
    expect(iso7064Mod3736CheckChar('A.124-25 GABC.1234002')).toBe('M');
    expect(isValidIso7064Mod3736('a12425gabc1234002m')).toBe(true);
    expect(isValidIso7064Mod3736('A1.2425.GABC.1234002.M')).toBe(true);
  });

  it('rejects non-ASCII and empty input', () => {
    expect(() => iso7064Mod3736CheckChar('A中B')).toThrow(RangeError);
    expect(() => iso7064Mod3736CheckChar('')).toThrow(RangeError);
    expect(() => iso7064Mod3736CheckChar('...')).toThrow(RangeError);
    expect(isValidIso7064Mod3736('A中BC')).toBe(false);
    expect(isValidIso7064Mod3736('')).toBe(false);
    expect(isValidIso7064Mod3736('2')).toBe(false);
  });
});

describe('electronic licence identifier', () => {
  const parts = {
    typeCode: PERMIT_LICENCE_TYPE_CODE,
    issuerCreditCode: ISSUER.creditCode,
    serial: 'K7M3Q9X2HBNP',
    version: 7,
  };

  // Identifiers in circulation, quoted in public code and documents (a Zhejiang
  // investment-project OFD file name; a housing-ministry interface document's
  // format example). Their check characters hold over the four fields after
  // the root OID, which is how this module computes them.
  it.each([
    '1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0',
    '1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U',
  ])('parses the real-world identifier %s', (id) => {
    const parsed = parseElectronicLicenceIdentifier(id);
    expect(parsed).not.toBeNull();
    expect(electronicLicenceIdentifier(parsed!)).toBe(id);
  });

  it('has the GB/T 36904 shape', () => {
    const id = electronicLicenceIdentifier(parts);
    const fields = id.split('.');
    expect(id.startsWith(`${ELICENCE_ROOT_OID}.`)).toBe(true);
    expect(fields.slice(0, 5)).toEqual(['1', '2', '156', '3005', '2']);
    expect(fields[5]).toBe(PERMIT_LICENCE_TYPE_CODE);
    expect(fields[6]).toBe(ISSUER.creditCode);
    expect(fields[7]).toBe('K7M3Q9X2HBNP');
    expect(fields[8]).toBe('007');
    expect(fields[9]).toBe(iso7064Mod3736CheckChar(fields.slice(5, 9).join('')));
    expect(fields).toHaveLength(10);
  });

  it('writes the version as three digits', () => {
    expect(electronicLicenceIdentifier({ ...parts, version: 1 }).split('.')[8]).toBe('001');
    expect(electronicLicenceIdentifier({ ...parts, version: 42 }).split('.')[8]).toBe('042');
    expect(electronicLicenceIdentifier({ ...parts, version: 999 }).split('.')[8]).toBe('999');
  });

  it('round-trips through parse', () => {
    for (const version of [1, 2, 10, 999]) {
      const id = electronicLicenceIdentifier({ ...parts, version });
      expect(parseElectronicLicenceIdentifier(id)).toEqual({ ...parts, version });
    }
  });

  it.each([
    ['a short type code', { typeCode: PERMIT_LICENCE_TYPE_CODE.slice(1) }, /typeCode/],
    ['a lower-case type code', { typeCode: PERMIT_LICENCE_TYPE_CODE.toLowerCase() }, /typeCode/],
    ['a type code with a dot', { typeCode: `${PERMIT_LICENCE_TYPE_CODE.slice(0, 20)}.` }, /typeCode/],
    ['a 17-character issuer code', { issuerCreditCode: ISSUER.creditCode.slice(0, 17) }, /issuerCreditCode.*LENGTH/],
    ['an issuer code with a wrong check', { issuerCreditCode: `${ISSUER.creditCode.slice(0, 17)}${ISSUER.creditCode.endsWith('0') ? '1' : '0'}` }, /CHECK_CHARACTER/],
    ['an empty serial', { serial: '' }, /serial/],
    ['a serial with a hyphen', { serial: 'AB-12' }, /serial/],
    ['a lower-case serial', { serial: 'abc' }, /serial/],
    ['a 65-character serial', { serial: 'A'.repeat(65) }, /serial/],
    ['version 0', { version: 0 }, /version/],
    ['version 1000', { version: 1000 }, /version/],
    ['version 1.5', { version: 1.5 }, /version/],
    ['version NaN', { version: Number.NaN }, /version/],
  ])('rejects %s with a RangeError', (_label, override, message) => {
    expect(() => electronicLicenceIdentifier({ ...parts, ...override })).toThrow(RangeError);
    expect(() => electronicLicenceIdentifier({ ...parts, ...override })).toThrow(message);
  });

  it('rejects a tampered identifier', () => {
    const id = electronicLicenceIdentifier(parts);
    const check = id.charAt(id.length - 1);
    const wrongCheck = id.slice(0, -1) + (check === 'A' ? 'B' : 'A');
    expect(parseElectronicLicenceIdentifier(wrongCheck)).toBeNull();

    // Serial changed, check character kept.
    expect(parseElectronicLicenceIdentifier(id.replace('K7M3Q9X2HBNP', 'K7M3Q9X2HBNQ'))).toBeNull();
    // Version bumped, check character kept.
    expect(parseElectronicLicenceIdentifier(id.replace('.007.', '.008.'))).toBeNull();
    // Two adjacent characters of the serial swapped.
    expect(parseElectronicLicenceIdentifier(id.replace('K7M3Q9X2HBNP', '7KM3Q9X2HBNP'))).toBeNull();
  });

  it.each([
    ['an empty string', ''],
    ['the wrong root', '1.2.156.3005.3.X'],
    ['a missing check character', (id: string) => id.slice(0, id.lastIndexOf('.'))],
    ['an extra field', (id: string) => `${id}.X`],
    ['a two-digit version', (id: string) => id.replace('.007.', '.07.')],
    ['lower case', (id: string) => id.toLowerCase()],
    ['a trailing space', (id: string) => `${id} `],
  ])('parse returns null for %s', (_label, make) => {
    const id = electronicLicenceIdentifier(parts);
    expect(parseElectronicLicenceIdentifier(typeof make === 'string' ? make : make(id))).toBeNull();
  });

  it('parse returns null when the issuer code fails GB 32100 even if the MOD 37,36 check holds', () => {
    const badIssuer = `${ISSUER.creditCode.slice(0, 17)}${ISSUER.creditCode.endsWith('0') ? '1' : '0'}`;
    const body = [PERMIT_LICENCE_TYPE_CODE, badIssuer, 'K7M3Q9X2HBNP', '001'];
    const id = [ELICENCE_ROOT_OID, ...body, iso7064Mod3736CheckChar(body.join(''))].join('.');
    expect(parseElectronicLicenceIdentifier(id)).toBeNull();
  });
});

describe('platform constants', () => {
  it('has a 21-character type code', () => {
    expect(PERMIT_LICENCE_TYPE_CODE).toMatch(/^[0-9A-Z]{21}$/);
  });

  it('has an issuer in Shunyi whose credit code passes GB 32100', () => {
    expect(ISSUER.creditCode).toBe(makeCreditCode('11110113MB0000000'));
    expect(checkCreditCode(ISSUER.creditCode)).toEqual({ ok: true });
    expect(ISSUER.creditCode.slice(2, 8)).toBe(ISSUER.divisionCode);
    expect(ISSUER.divisionCode).toBe('110113');
    expect(ISSUER.nameZh).toBe('北京市顺义区政务服务局');
  });
});

describe('licence metadata', () => {
  const holderCreditCode = '914403001922038216';
  const serial = 'K7M3Q9X2HBNP';
  const identifier = electronicLicenceIdentifier({
    typeCode: PERMIT_LICENCE_TYPE_CODE,
    issuerCreditCode: ISSUER.creditCode,
    serial,
    version: 2,
  });
  const input: LicenceMetadataInput = {
    identifier,
    number: serial,
    version: 2,
    // 2025-03-31T16:30Z is already 1 April in Beijing.
    issuedAt: new Date('2025-03-31T16:30:00Z'),
    validFrom: new Date('2025-04-01T00:00:00+08:00'),
    validUntil: new Date('2030-03-31T23:59:59+08:00'),
    holderName: '北京顺义示例餐饮有限公司',
    holderCreditCode,
    status: 'VALID',
    relatedItems: [
      { itemCode: 'FOOD-BUSINESS', itemName: '食品经营许可', departmentName: '顺义区市场监督管理局', licenceNumber: 'JY11113000000001' },
      { itemCode: 'FIRE-CHECK', itemName: '公众聚集场所投入使用、营业前消防安全检查', departmentName: '顺义区消防救援支队', licenceNumber: null },
    ],
  };

  it('produces the GB/T 36903 shape', () => {
    expect(licenceMetadata(input)).toEqual({
      identifier,
      typeCode: PERMIT_LICENCE_TYPE_CODE,
      typeName: '综合许可凭证',
      number: serial,
      version: 2,
      issuer: '北京市顺义区政务服务局',
      issuerCode: ISSUER.creditCode,
      issueDate: '2025-04-01',
      validFrom: '2025-04-01',
      validTo: '2030-03-31',
      holder: '北京顺义示例餐饮有限公司',
      holderCode: holderCreditCode,
      holderCodeType: '统一社会信用代码',
      jurisdiction: '110113',
      relatedItems: input.relatedItems,
      status: '有效',
    });
  });

  it('passes its own schema', () => {
    const meta = licenceMetadata(input);
    expect(LicenceMetadataSchema.safeParse(meta).success).toBe(true);
  });

  it("writes '长期' for an open-ended licence", () => {
    expect(licenceMetadata({ ...input, validUntil: null }).validTo).toBe('长期');
  });

  it.each([
    ['VALID', '有效'],
    ['VOID', '作废'],
    ['SUPERSEDED', '已换发'],
  ] as const)('maps status %s to %s', (status, zh) => {
    expect(licenceMetadata({ ...input, status }).status).toBe(zh);
  });

  it('does not share related-item objects with the input', () => {
    const meta = licenceMetadata(input);
    expect(meta.relatedItems[0]).not.toBe(input.relatedItems[0]);
  });

  it.each<[string, Partial<LicenceMetadataInput>]>([
    ['a tampered identifier', { identifier: identifier.slice(0, -1) + (identifier.endsWith('A') ? 'B' : 'A') }],
    ['a version differing from the identifier', { version: 3 }],
    [
      'an identifier of another issuer',
      {
        identifier: electronicLicenceIdentifier({
          typeCode: PERMIT_LICENCE_TYPE_CODE,
          issuerCreditCode: holderCreditCode,
          serial,
          version: 2,
        }),
      },
    ],
    [
      'an identifier of another licence type',
      {
        identifier: electronicLicenceIdentifier({
          typeCode: '11100000000013338W011',
          issuerCreditCode: ISSUER.creditCode,
          serial,
          version: 2,
        }),
      },
    ],
    ['a holder code failing GB 32100', { holderCreditCode: '914403001922038217' }],
    ['an empty holder name', { holderName: '  ' }],
    ['an empty permit number', { number: '' }],
    ['no related items', { relatedItems: [] }],
    ['a related item without a name', { relatedItems: [{ itemCode: 'X', itemName: '', departmentName: 'D', licenceNumber: null }] }],
    ['a validity ending before it starts', { validUntil: new Date('2025-03-01T00:00:00+08:00') }],
  ])('rejects %s with a ZodError', (_label, override) => {
    expect(() => licenceMetadata({ ...input, ...override })).toThrow(ZodError);
  });

  it('rejects invalid dates and statuses with a RangeError', () => {
    expect(() => licenceMetadata({ ...input, issuedAt: new Date('nope') })).toThrow(/issuedAt must be a valid Date/);
    expect(() => licenceMetadata({ ...input, validUntil: new Date(Number.NaN) })).toThrow(RangeError);
    expect(() => licenceMetadata({ ...input, status: 'LOST' as unknown as 'VALID' })).toThrow(RangeError);
  });

  it('schema rejects unknown keys and wrong literals', () => {
    const meta = licenceMetadata(input);
    expect(LicenceMetadataSchema.safeParse({ ...meta, extra: 1 }).success).toBe(false);
    expect(LicenceMetadataSchema.safeParse({ ...meta, typeName: '营业执照' }).success).toBe(false);
    expect(LicenceMetadataSchema.safeParse({ ...meta, status: 'VALID' }).success).toBe(false);
    expect(LicenceMetadataSchema.safeParse({ ...meta, issueDate: '2025-02-30' }).success).toBe(false);
    expect(LicenceMetadataSchema.safeParse({ ...meta, holderCodeType: '身份证' }).success).toBe(false);
  });
});
