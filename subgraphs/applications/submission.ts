import { isDuplicateKey, writeOptions } from '../../shared/db';
import { invalidInput, type FieldProblem } from '../../shared/errors';
import type { Answers, ItemDefinition } from '../../shared/catalogue';
import { applicableItems, buildForm, submittedValue, type Catalogue } from './catalogue';
import { parseAnswers, requireIndustry } from './resolvers/catalogue';
import { validateFormValues } from '../../shared/validation';
import { ApplicationStore } from './store';
import type { Application, ApplicationDoc } from './application';

/** What a submission asks, whoever hands it in: the window, the applicant online, or the city's platform. */
export interface SubmissionInput {
  industryCode: string;
  answers: unknown;
  values: unknown;
  commitments?: readonly string[] | null;
}

/** A submission checked against the catalogue: the items it applies for and the values of their one form. */
export interface CheckedSubmission {
  industryCode: string;
  answers: Answers;
  items: ItemDefinition[];
  values: Record<string, unknown>;
  commitments: string[];
  creditCode: string;
  holderName: string;
}

/**
 * Checks a submission against the catalogue edition: the industry, every
 * scenario answered, the form's values, and commitments only for items whose
 * law allows them (告知承诺 never for national security, public safety, life
 * and health). Every problem at once, each at its path under `at` (`input`,
 * `handOver`); `industryPath` is where the industry was named.
 */
export function checkSubmission(catalogue: Catalogue, input: SubmissionInput, at: string, industryPath = `${at}.industryCode`): CheckedSubmission {
  const industry = requireIndustry(catalogue, input.industryCode, industryPath);
  const answers = parseAnswers(industry, input.answers, true, `${at}.answers`);
  const items = applicableItems(catalogue, industry, answers);
  const fields = buildForm(industry, items).flatMap((s) => s.fields);
  const values = input.values;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw invalidInput([{ path: `${at}.values`, code: 'INVALID_TYPE', messageZh: '填报值须为对象', messageEn: 'Values must be an object' }]);
  }
  const problems: FieldProblem[] = validateFormValues(fields, values as Record<string, unknown>, `${at}.values`);
  const commitments = [...new Set(input.commitments ?? [])];
  commitments.forEach((code, index) => {
    const item = items.find((i) => i.code === code);
    if (!item) {
      problems.push({ path: `${at}.commitments.${index}`, code: 'UNKNOWN_ITEM', messageZh: `本申请不含事项「${code}」`, messageEn: `This application has no item "${code}"` });
    } else if (!item.commitmentAllowed) {
      problems.push({
        path: `${at}.commitments.${index}`,
        code: 'COMMITMENT_NOT_ALLOWED',
        messageZh: `事项「${item.nameZh}」不适用告知承诺`,
        messageEn: `Item "${item.nameEn}" does not allow notification-commitment approval`,
      });
    }
  });
  if (problems.length) throw invalidInput(problems);
  const formValues = values as Record<string, unknown>;
  return {
    industryCode: industry.code,
    answers,
    items,
    values: formValues,
    commitments,
    creditCode: String(submittedValue(formValues, items[0].code, 'creditCode')),
    holderName: String(submittedValue(formValues, items[0].code, 'companyName')),
  };
}

/** The application document for a checked submission, before its id, channel and who handed it in. */
export function submissionDoc(checked: CheckedSubmission, edition: string): Omit<ApplicationDoc, '_id' | 'channel' | 'submittedBy'> {
  return {
    number: ApplicationStore.newNumber(),
    industryCode: checked.industryCode,
    edition,
    creditCode: checked.creditCode,
    holderName: checked.holderName,
    answers: checked.answers,
    values: checked.values,
    items: checked.items.map((i) => ({ itemCode: i.code, departmentCode: i.department })),
    commitments: checked.commitments,
    submittedAt: new Date(),
  };
}

/**
 * Inserts a new application, the claim on its id. When an application with
 * that id exists already (a retry under the same key or reference), `earlier`
 * decides: it returns the earlier one or throws. A clash of the random number
 * draws another.
 */
export async function insertSubmission(store: ApplicationStore, doc: ApplicationDoc, earlier: (app: Application) => Application): Promise<{ app: Application; created: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.applications.insertOne(doc, writeOptions());
      return { app: (await store.load(doc._id))!, created: true };
    } catch (error) {
      if (!isDuplicateKey(error) || attempt > 3) throw error;
      const existing = await store.load(doc._id);
      if (existing) return { app: earlier(existing), created: false };
      doc.number = ApplicationStore.newNumber(); // number collision: draw again
    }
  }
}
