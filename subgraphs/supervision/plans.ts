import type { Connection, mongo } from 'mongoose';
import type { IndexDeclaration } from '../../shared/db';
import { checkLength, invalidInput, platformError, type FieldProblem } from '../../shared/errors';
import { byId, insertOnce } from '../../shared/records';
import { departments } from '../../shared/registry';
import { weightedDraw, type Candidate } from './draw';
import { currentGrade, type Grade } from './grades';
import { INDUSTRY_CODE } from './notes';
import { PermitRegister } from './register';
import { Revisions, type Revision } from '../../shared/revisions';

export interface Inspector {
  id: string;
  name: string;
}

/** A department's inspector roster, revision after revision (`<departmentCode>#<n>`, each the whole list). */
export type RosterRevision = Revision<{ departmentCode: string; inspectors: Inspector[] }>;

/** A joint-inspection plan (`<industryCode>:<period>`, inserted once: the claim that this period's draw is made). */
export interface PlanRecord {
  _id: string;
  industryCode: string;
  period: string;
  seed: string;
  sampleSize: number;
  inspectorsPerDepartment: number;
  /** Every valid holder at the draw, with its weight and the grade (and score) it came from. */
  population: (Candidate & { grade: Grade; score: number })[];
  businesses: { permitId: string; code: string; companyName: string; creditCode: string; departmentCodes: string[] }[];
  departments: { departmentCode: string; rosterRevision: number; roster: string[]; inspectors: Inspector[] }[];
  drawnAt: Date;
  drawnBy: string;
}

export interface PlanInput {
  industryCode: string;
  period: string;
  sampleSize: number;
  inspectorsPerDepartment: number;
  seed: string;
}

const PERIOD = /^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$/;

export class PlanStore {
  static readonly indexes: readonly IndexDeclaration[] = [
    { collection: 'inspector_rosters', keys: { _id: 1 }, serves: "a department's roster, revision by revision" },
    { collection: 'inspection_plans', keys: { _id: 1 }, serves: 'a plan, by industry and period' },
  ];
  readonly rosters: Revisions<Omit<RosterRevision, '_id' | 'seq' | 'by' | 'at'>>;
  private readonly plans: mongo.Collection<PlanRecord>;

  constructor(private readonly db: Connection) {
    this.rosters = new Revisions(db.db!.collection('inspector_rosters'), { zh: '检查人员名册', en: 'The roster' });
    this.plans = db.db!.collection<PlanRecord>('inspection_plans');
  }

  async byId(id: string): Promise<PlanRecord | null> {
    return byId(this.plans, id);
  }

  /** The plans that drew this permit code, newest first (a sweep over the plans: a few per industry and period). */
  async drawing(permitCode: string): Promise<PlanRecord[]> {
    const plans = await this.plans.find({ 'businesses.code': permitCode } as never).toArray();
    return plans.sort((a, b) => b.drawnAt.getTime() - a.drawnAt.getTime());
  }

  /**
   * Draws the plan, or returns the one already drawn with the same seed and
   * size; another seed or size for a period already drawn is refused, and so
   * is a draw with nobody to draw or a department without inspectors.
   */
  async draw(input: PlanInput, by: string): Promise<PlanRecord> {
    const id = planId(input.industryCode, input.period);
    const recorded = await byId(this.plans, id);
    if (recorded) return sameDrawOrRefuse(recorded, input);
    const holders = (await new PermitRegister(this.db).ofIndustry(input.industryCode)).filter((p) => p.status === 'VALID');
    if (!holders.length) {
      throw platformError('NOT_READY', `行业 ${input.industryCode} 尚无有效的持证经营者可供抽取`, `Industry ${input.industryCode} has no valid permit holders to draw from`, { field: 'input.industryCode' });
    }
    // Tiered (分级分类): each business weighs what its risk grade says today, recorded with the plan.
    const population = [];
    for (const h of holders) {
      const grade = (await currentGrade(this.db, h.permitId))!;
      population.push({ id: h.permitId, weight: grade.weight, grade: grade.grade, score: grade.score });
    }
    const byPermit = new Map(holders.map((h) => [h.permitId, h]));
    const businesses = weightedDraw(population, input.sampleSize, input.seed).map((permitId) => {
      const holder = byPermit.get(permitId)!;
      return {
        permitId,
        code: holder.code,
        companyName: holder.holder.companyName,
        creditCode: holder.holder.creditCode,
        departmentCodes: [...new Set(holder.items.filter((i) => i.permitted).map((i) => i.departmentCode))],
      };
    });
    const concerned = departments().filter((d) => businesses.some((b) => b.departmentCodes.includes(d.code)));
    const drawnDepartments = [];
    for (const department of concerned) {
      const roster = await this.rosters.latest(department.code);
      if (!roster?.inspectors.length) {
        throw platformError('NOT_READY', `${department.nameZh}尚无检查人员名册，无法抽取检查人员`, `${department.nameEn} has no inspectors on its roster to draw from`, { field: 'input.industryCode' });
      }
      const byInspector = new Map(roster.inspectors.map((i) => [i.id, i]));
      const drawn = weightedDraw(roster.inspectors.map((i) => ({ id: i.id, weight: 1 })), input.inspectorsPerDepartment, inspectorSeed(input.seed, department.code));
      drawnDepartments.push({ departmentCode: department.code, rosterRevision: roster.seq, roster: roster.inspectors.map((i) => i.id), inspectors: drawn.map((i) => byInspector.get(i)!) });
    }
    const plan: PlanRecord = {
      _id: id,
      industryCode: input.industryCode,
      period: input.period,
      seed: input.seed,
      sampleSize: input.sampleSize,
      inspectorsPerDepartment: input.inspectorsPerDepartment,
      population,
      businesses,
      departments: drawnDepartments,
      drawnAt: new Date(),
      drawnBy: by,
    };
    if (await insertOnce(this.plans, plan)) return plan;
    // Another admin drew this period at the same moment: theirs stands.
    return sameDrawOrRefuse((await byId(this.plans, id))!, input);
  }
}

export function planId(industryCode: string, period: string): string {
  return `${industryCode}:${period}`;
}

/** Each department's inspectors are drawn with their own seed, so one department's roster does not change another's draw. */
function inspectorSeed(seed: string, departmentCode: string): string {
  return `${seed}:${departmentCode}`;
}

function sameDrawOrRefuse(plan: PlanRecord, input: PlanInput): PlanRecord {
  if (plan.seed === input.seed && plan.sampleSize === input.sampleSize && plan.inspectorsPerDepartment === input.inspectorsPerDepartment) return plan;
  throw platformError(
    'CONFLICT',
    `本期计划已于 ${plan.drawnAt.toISOString().slice(0, 10)} 以种子“${plan.seed}”抽取，不得以其他种子或数量重新抽取`,
    `This period's plan was drawn on ${plan.drawnAt.toISOString().slice(0, 10)} with seed "${plan.seed}"; it is not drawn again with another seed or size`,
    { field: 'input.seed' },
  );
}

/** Whether re-running the recorded draw gives the recorded result: the businesses, then each department's inspectors. */
export function reproduces(plan: PlanRecord): boolean {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(weightedDraw(plan.population, plan.sampleSize, plan.seed), plan.businesses.map((b) => b.permitId))) return false;
  return plan.departments.every((d) =>
    same(weightedDraw(d.roster.map((id) => ({ id, weight: 1 })), plan.inspectorsPerDepartment, inspectorSeed(plan.seed, d.departmentCode)), d.inspectors.map((i) => i.id)),
  );
}

export function checkRosterInput(input: { departmentCode: string; inspectors: Inspector[]; basedOnRevision: number }): void {
  const problems: FieldProblem[] = [];
  if (!departments().some((d) => d.code === input.departmentCode)) problems.push({ path: 'input.departmentCode', code: 'UNKNOWN', messageZh: `没有编码为 ${input.departmentCode} 的部门`, messageEn: `No department ${input.departmentCode}` });
  if (!Number.isInteger(input.basedOnRevision) || input.basedOnRevision < 0) problems.push({ path: 'input.basedOnRevision', code: 'OUT_OF_RANGE', messageZh: '所基于的版本号不能为负数', messageEn: 'The revision edited cannot be negative' });
  if (input.inspectors.length > 200) problems.push({ path: 'input.inspectors', code: 'TOO_MANY', messageZh: '名册最多 200 人', messageEn: 'A roster holds at most 200 inspectors' });
  const seen = new Set<string>();
  input.inspectors.slice(0, 200).forEach((inspector, i) => {
    checkLength(problems, `input.inspectors.${i}.id`, inspector.id, 1, 40, `第 ${i + 1} 人的编号`, `Inspector ${i + 1}'s id`);
    if (seen.has(inspector.id.trim())) problems.push({ path: `input.inspectors.${i}.id`, code: 'DUPLICATE', messageZh: `编号 ${inspector.id} 重复`, messageEn: `Id ${inspector.id} appears twice` });
    checkLength(problems, `input.inspectors.${i}.name`, inspector.name, 2, 50, `第 ${i + 1} 人的姓名`, `Inspector ${i + 1}'s name`);
    seen.add(inspector.id.trim());
  });
  if (problems.length) throw invalidInput(problems);
}

export function checkPlanInput(input: PlanInput): void {
  const problems: FieldProblem[] = [];
  if (!INDUSTRY_CODE.test(input.industryCode)) problems.push({ path: 'input.industryCode', code: 'INVALID_FORMAT', messageZh: '行业编码应为小写字母、数字和连字符', messageEn: 'An industry code is lower-case letters, digits and hyphens' });
  if (!PERIOD.test(input.period)) problems.push({ path: 'input.period', code: 'INVALID_FORMAT', messageZh: '期间应为 YYYY-MM、YYYY-Qn 或 YYYY', messageEn: 'A period is YYYY-MM, YYYY-Qn or YYYY' });
  if (!Number.isInteger(input.sampleSize) || input.sampleSize < 1 || input.sampleSize > 500) problems.push({ path: 'input.sampleSize', code: 'OUT_OF_RANGE', messageZh: '抽取数应为 1–500', messageEn: 'Businesses to draw: 1–500' });
  if (!Number.isInteger(input.inspectorsPerDepartment) || input.inspectorsPerDepartment < 1 || input.inspectorsPerDepartment > 10) problems.push({ path: 'input.inspectorsPerDepartment', code: 'OUT_OF_RANGE', messageZh: '每部门检查人员数应为 1–10', messageEn: 'Inspectors per department: 1–10' });
  checkLength(problems, 'input.seed', input.seed, 8, 100, '随机种子', 'The seed');
  if (problems.length) throw invalidInput(problems);
}
