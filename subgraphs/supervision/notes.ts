import type { Connection } from 'mongoose';
import type { IndexDeclaration } from '../../shared/db';
import { invalidInput, type FieldProblem } from '../../shared/errors';
import { Revisions, type Revision } from '../../shared/revisions';

/** One section of the supervision content admins add to an industry's compliance manual (一业一册). */
export interface NoteSection {
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
}

/** An industry's supervision notes, one revision after another (`<industryCode>#<n>`, each the whole text). */
export type NotesRevision = Revision<{
  industryCode: string;
  sections: NoteSection[];
  /** Why it changed, as the admin wrote it. */
  note: string;
}>;

export class NotesStore {
  static readonly indexes: readonly IndexDeclaration[] = [{ collection: 'supervision_notes', keys: { _id: 1 }, serves: "an industry's notes, revision by revision" }];
  readonly revisions: Revisions<Omit<NotesRevision, '_id' | 'seq' | 'by' | 'at'>>;

  constructor(db: Connection) {
    this.revisions = new Revisions(db.db!.collection('supervision_notes'), { zh: '本行业监管内容', en: 'The supervision notes' });
  }
}

/** Bounds of an industry's supervision notes: enough for a manual's chapter, small enough to print and to store whole per revision. */
export const NOTES_LIMITS = { sections: 20, titleZh: 100, titleEn: 200, bodyZh: 4000, bodyEn: 8000, note: 200 } as const;
/** How an industry is coded in the catalogue; supervision checks the form, the catalogue is not its own. */
export const INDUSTRY_CODE = /^[a-z][a-z0-9-]{0,63}$/;

export interface NotesInput {
  industryCode: string;
  sections: NoteSection[];
  basedOnRevision: number;
  note: string;
}

/** Every problem of a notes edit at once, each with its field path; nothing is written while there is one. */
export function checkNotesInput(input: NotesInput): void {
  const problems: FieldProblem[] = [];
  const length = (path: string, value: string, max: number, zh: string, en: string) => {
    const n = [...value.trim()].length;
    if (n === 0) problems.push({ path, code: 'REQUIRED', messageZh: `${zh}不能为空`, messageEn: `${en} is required` });
    else if (n > max) problems.push({ path, code: 'TOO_LONG', messageZh: `${zh}最多 ${max} 字，现为 ${n} 字`, messageEn: `${en} is at most ${max} characters, not ${n}` });
  };
  if (!INDUSTRY_CODE.test(input.industryCode)) {
    problems.push({ path: 'input.industryCode', code: 'INVALID_FORMAT', messageZh: '行业编码应为小写字母、数字和连字符', messageEn: 'An industry code is lower-case letters, digits and hyphens' });
  }
  if (!Number.isInteger(input.basedOnRevision) || input.basedOnRevision < 0) {
    problems.push({ path: 'input.basedOnRevision', code: 'OUT_OF_RANGE', messageZh: '所基于的版本号不能为负数', messageEn: 'The revision edited cannot be negative' });
  }
  if (input.sections.length > NOTES_LIMITS.sections) {
    problems.push({ path: 'input.sections', code: 'TOO_MANY', messageZh: `最多 ${NOTES_LIMITS.sections} 节`, messageEn: `At most ${NOTES_LIMITS.sections} sections` });
  }
  input.sections.slice(0, NOTES_LIMITS.sections).forEach((section, i) => {
    length(`input.sections.${i}.titleZh`, section.titleZh, NOTES_LIMITS.titleZh, `第 ${i + 1} 节标题`, `Section ${i + 1}'s title`);
    length(`input.sections.${i}.titleEn`, section.titleEn, NOTES_LIMITS.titleEn, `第 ${i + 1} 节英文标题`, `Section ${i + 1}'s English title`);
    length(`input.sections.${i}.bodyZh`, section.bodyZh, NOTES_LIMITS.bodyZh, `第 ${i + 1} 节正文`, `Section ${i + 1}'s body`);
    length(`input.sections.${i}.bodyEn`, section.bodyEn, NOTES_LIMITS.bodyEn, `第 ${i + 1} 节英文正文`, `Section ${i + 1}'s English body`);
  });
  length('input.note', input.note, NOTES_LIMITS.note, '修改说明', 'The note saying why');
  if (problems.length) throw invalidInput(problems);
}
