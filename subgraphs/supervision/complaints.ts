import type { Connection } from 'mongoose';
import { normaliseCode } from '../../shared/permit-code';
import { invalidInput, notFound, type FieldProblem } from '../../shared/errors';
import { BusinessHistory, type ComplaintEntry } from './history';
import { PermitRegister } from './register';

/**
 * Complaints and leads (社会共治): anyone may report a problem against the
 * permit code shown on a business's wall, from the public scan page or through
 * the API, without signing in. A report goes to the department of the licence
 * it is about, or to every department the permit holds a licence from; it
 * counts in the business's risk grade.
 */
export const COMPLAINT_TEXT_MAX = 1000;
export const COMPLAINT_CONTACT_MAX = 100;

export interface ComplaintInput {
  permitCode: string;
  itemCode?: string | null;
  text: string;
  contact?: string | null;
}

export async function submitComplaint(db: Connection, input: ComplaintInput): Promise<ComplaintEntry> {
  const problems: FieldProblem[] = [];
  const permitCode = normaliseCode(input.permitCode.trim());
  const text = input.text.trim();
  const contact = input.contact?.trim() || null;
  if (!permitCode) problems.push({ path: 'input.permitCode', code: 'REQUIRED', messageZh: '请填写凭证编码（二维码下方）', messageEn: 'Give the permit code (under the QR code)' });
  if ([...text].length < 10 || [...text].length > COMPLAINT_TEXT_MAX) {
    problems.push({ path: 'input.text', code: [...text].length < 10 ? 'TOO_SHORT' : 'TOO_LONG', messageZh: `请用 10–${COMPLAINT_TEXT_MAX} 字说明问题`, messageEn: `Describe the problem in 10–${COMPLAINT_TEXT_MAX} characters` });
  }
  if (contact && [...contact].length > COMPLAINT_CONTACT_MAX) {
    problems.push({ path: 'input.contact', code: 'TOO_LONG', messageZh: `联系方式最多 ${COMPLAINT_CONTACT_MAX} 字`, messageEn: `Contact details are at most ${COMPLAINT_CONTACT_MAX} characters` });
  }
  if (problems.length) throw invalidInput(problems);
  const permit = await new PermitRegister(db).byCode(permitCode);
  if (!permit) throw notFound({ zh: '综合许可凭证', en: 'permit' }, 'input.permitCode', permitCode);
  const held = permit.items.filter((i) => i.permitted);
  let departmentCodes = [...new Set(held.map((i) => i.departmentCode))];
  if (input.itemCode) {
    const item = held.find((i) => i.itemCode === input.itemCode);
    if (!item) {
      throw invalidInput([{ path: 'input.itemCode', code: 'NOT_ON_PERMIT', messageZh: `该凭证没有事项 ${input.itemCode} 的许可`, messageEn: `The permit holds no licence for item ${input.itemCode}` }]);
    }
    departmentCodes = [item.departmentCode];
  }
  return new BusinessHistory(db).addComplaint({
    applicationId: permit.applicationId,
    industryCode: permit.industryCode,
    permitCode: permit.code,
    companyName: permit.holder.companyName,
    itemCode: input.itemCode ?? null,
    departmentCodes,
    text,
    contact,
    at: new Date(),
  });
}
