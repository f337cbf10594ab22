import type { Connection } from 'mongoose';
import type { IndexDeclaration } from '../../shared/db';
import { checkLength, invalidInput, type FieldProblem } from '../../shared/errors';
import { department } from '../../shared/registry';
import { Revisions, type Revision } from '../../shared/revisions';

/**
 * The work team (工作专班) the plan sets up: a convenor from the district
 * government, a deputy and the office director from the bureau, and for each
 * member department the official in charge and a liaison (a section head) with
 * an office phone. Admins publish it as a whole, revision after revision
 * (`work-team#<n>`); staff look up whom to call in a department.
 */
export interface Person {
  name: string;
  title: string;
}
export interface Member {
  departmentCode: string;
  member: Person;
  liaison: Person & { phone: string };
}
export type WorkTeamRevision = Revision<{ convenor: Person; deputyConvenor: Person; officeDirector: Person; members: Member[]; note: string }>;

const KEY = 'work-team';
// A Beijing landline (010-69441234, 69441234, with an extension) or a mainland mobile.
const PHONE = /^((010-?)?\d{8}(-\d{1,6})?|1[3-9]\d{9})$/;

export class WorkTeamStore {
  static readonly indexes: readonly IndexDeclaration[] = [{ collection: 'work_team', keys: { _id: 1 }, serves: "the work team's roster, revision by revision" }];
  readonly revisions: Revisions<Omit<WorkTeamRevision, '_id' | 'seq' | 'by' | 'at'>>;

  constructor(db: Connection) {
    this.revisions = new Revisions(db.db!.collection('work_team'), { zh: '工作专班名册', en: "The work team's roster" });
  }

  latest(): Promise<WorkTeamRevision | null> {
    return this.revisions.latest(KEY);
  }

  publish(content: Omit<WorkTeamRevision, '_id' | 'seq' | 'by' | 'at'>, by: string, basedOn: number): Promise<WorkTeamRevision> {
    return this.revisions.publish(KEY, content, by, basedOn);
  }
}

const person = (problems: FieldProblem[], path: string, p: Person, zh: string, en: string) => {
  checkLength(problems, `${path}.name`, p.name, 2, 50, `${zh}姓名`, `${en}'s name`);
  checkLength(problems, `${path}.title`, p.title, 2, 100, `${zh}职务`, `${en}'s position`);
};

/** The roster as given, trimmed; refused with every problem (an unknown department, one listed twice, a bad phone …). */
export function checkWorkTeamInput(input: { convenor: Person; deputyConvenor: Person; officeDirector: Person; members: Member[]; basedOnRevision: number; note: string }) {
  const problems: FieldProblem[] = [];
  person(problems, 'input.convenor', input.convenor, '主召集人', 'The convenor');
  person(problems, 'input.deputyConvenor', input.deputyConvenor, '副召集人', 'The deputy convenor');
  person(problems, 'input.officeDirector', input.officeDirector, '办公室主任', 'The office director');
  if (input.members.length > 100) problems.push({ path: 'input.members', code: 'TOO_MANY', messageZh: '成员单位最多 100 个', messageEn: 'At most 100 member departments' });
  const seen = new Set<string>();
  input.members.slice(0, 100).forEach((m, i) => {
    const path = `input.members.${i}`;
    if (!department(m.departmentCode)) problems.push({ path: `${path}.departmentCode`, code: 'UNKNOWN', messageZh: `没有编码为 ${m.departmentCode} 的部门`, messageEn: `No department ${m.departmentCode}` });
    if (seen.has(m.departmentCode)) problems.push({ path: `${path}.departmentCode`, code: 'DUPLICATE', messageZh: `部门 ${m.departmentCode} 重复`, messageEn: `Department ${m.departmentCode} is listed twice` });
    seen.add(m.departmentCode);
    person(problems, `${path}.member`, m.member, '主管同志', 'The official');
    person(problems, `${path}.liaison`, m.liaison, '联络员', 'The liaison');
    if (!PHONE.test(m.liaison.phone.replace(/\s/g, ''))) problems.push({ path: `${path}.liaison.phone`, code: 'INVALID_PHONE', messageZh: '办公电话应为固定电话（如 010-69441234）或手机号', messageEn: 'The office phone must be a landline such as 010-69441234 or a mobile number' });
  });
  checkLength(problems, 'input.note', input.note, 2, 200, '修改说明', 'The note');
  if (!Number.isInteger(input.basedOnRevision) || input.basedOnRevision < 0) problems.push({ path: 'input.basedOnRevision', code: 'OUT_OF_RANGE', messageZh: '所基于的版本号不能为负数', messageEn: 'The revision edited cannot be negative' });
  if (problems.length) throw invalidInput(problems);
  const trim = (p: Person) => ({ name: p.name.trim(), title: p.title.trim() });
  return {
    convenor: trim(input.convenor),
    deputyConvenor: trim(input.deputyConvenor),
    officeDirector: trim(input.officeDirector),
    members: input.members.map((m) => ({ departmentCode: m.departmentCode, member: trim(m.member), liaison: { ...trim(m.liaison), phone: m.liaison.phone.replace(/\s/g, '') } })),
    note: input.note.trim(),
  };
}
