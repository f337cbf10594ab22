import { makeCreditCode, makeIdNumber } from '../../shared/validation';

/** A form field as `applicationForm` returns it. */
export interface FormFieldView {
  key: string;
  type: string;
  required: boolean;
  min?: number | null;
  max?: number | null;
  options?: { value: string }[] | null;
}

/** A made-up but valid business for demos and tests: the credit code and ID pass their check characters. */
export function sampleBusiness(seed = Math.floor(Math.random() * 1e6)) {
  const serial = String(seed).padStart(6, '0').slice(-6);
  return {
    companyName: `北京顺义示例餐饮有限公司${serial}`,
    creditCode: makeCreditCode(`91110113MA${serial}0`),
    legalRepresentative: '张三丰',
    legalRepresentativeIdNumber: makeIdNumber('11011319850612003'),
    contactPhone: '13812345678',
    businessAddress: '北京市顺义区府前街1号',
  };
}

/** A valid value for any field of the merged form, so the demo works for every industry. */
export function sampleValue(field: FormFieldView, business: ReturnType<typeof sampleBusiness>): unknown {
  const base = field.key.split(':').pop()!; // bundled forms key fields `<itemCode>:<key>`
  if (base in business) return business[base as keyof typeof business];
  switch (field.type) {
    case 'NUMBER':
    case 'AREA': {
      const min = field.min ?? 1;
      const max = field.max ?? min + 1000;
      return Math.max(min, Math.min(max, Math.round((min + Math.min(max, min + 400)) / 2)));
    }
    case 'ENUM':
      return field.options?.[0]?.value;
    case 'MULTI_ENUM':
      return field.options?.slice(0, 1).map((o) => o.value);
    case 'BOOLEAN':
      return true;
    case 'DATE':
      return '2026-12-01';
    case 'CREDIT_CODE':
      return business.creditCode;
    case 'ID_NUMBER':
      return business.legalRepresentativeIdNumber;
    case 'PHONE':
      return business.contactPhone;
    case 'PERSON_NAME':
      return '李四';
    case 'ATTACHMENT':
      return { sha256: 'a'.repeat(64), size: 1024, mediaType: 'application/pdf', name: 'material.pdf' };
    default:
      return '示例内容';
  }
}

export function sampleValues(fields: FormFieldView[], business: ReturnType<typeof sampleBusiness>): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.key, sampleValue(f, business)]));
}
