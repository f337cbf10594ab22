import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection, mongo } from 'mongoose';
import { beijingToday, tryDayNumber } from '../../shared/beijing-calendar';
import type { IndexDeclaration } from '../../shared/db';
import { invalidInput, platformError, type FieldProblem } from '../../shared/errors';
import type { IndustryDefinition } from '../../shared/catalogue';
import { appendStep, byIds, insertOnce, readLog, stepId } from '../../shared/records';
import { Revisions, type Revision } from '../../shared/revisions';
import type { Catalogue } from './catalogue';

/**
 * The rollout board (成熟一业、推出一业): each industry's stage, the readiness
 * checklist that gates each step, the plan's target dates and what is late.
 *
 *   DRAFT → ENTRUSTED → PILOT → LIVE;  PILOT or LIVE → PAUSED → PILOT or LIVE;  ENTRUSTED → DRAFT
 *
 * Entering ENTRUSTED needs every item's entrusted acceptance and authorised
 * approval recorded (委托受理、授权审批); PILOT and LIVE need the whole checklist.
 * Every change names its reason and is a step of the industry's log
 * (`<industryCode>#<n>`, inserted once), which is its history: who, when, why.
 * The repository's industries start where `rollout-seed.json` says they stood
 * (imported once, by "system"); an industry added later starts at DRAFT.
 */
export type Stage = 'DRAFT' | 'ENTRUSTED' | 'PILOT' | 'LIVE' | 'PAUSED';

export interface StageStep {
  _id: string;
  seq: number;
  from: Stage | null;
  to: Stage;
  reason: string;
  by: string;
  at: Date;
}

export type EntrustmentRevision = Revision<{ itemCode: string; departmentCode: string; acceptanceEntrusted: boolean; approvalAuthorised: boolean; documentReference: string; signedOn: string }>;

export type ConditionKind = 'ENTRUSTMENT' | 'FORM' | 'COMMITMENT' | 'GUIDE';
export interface Condition {
  condition: ConditionKind;
  met: boolean;
  detailZh: string;
  detailEn: string;
}

/** The plan's dates (实施方案): entrustment of the 40 industries' items by the end of April 2023, all live by the end of November 2023. */
export const PLAN_TARGETS = [
  { target: 'ENTRUSTED' as const, dueOn: '2023-04-30', source: '实施方案：2023年4月底前完成委托受理、授权审批' },
  { target: 'LIVE' as const, dueOn: '2023-11-30', source: '实施方案：力争到2023年11月底在40个行业推行' },
];

const NEXT: Record<Stage, Stage[]> = {
  DRAFT: ['ENTRUSTED'],
  ENTRUSTED: ['PILOT', 'DRAFT'],
  PILOT: ['LIVE', 'PAUSED'],
  LIVE: ['PAUSED'],
  PAUSED: ['PILOT', 'LIVE'],
};
const GATES: Record<Stage, ConditionKind[]> = {
  DRAFT: [],
  ENTRUSTED: ['ENTRUSTMENT'],
  PILOT: ['ENTRUSTMENT', 'FORM', 'COMMITMENT', 'GUIDE'],
  LIVE: ['ENTRUSTMENT', 'FORM', 'COMMITMENT', 'GUIDE'],
  PAUSED: [],
};
const REACHED: Record<'ENTRUSTED' | 'LIVE', Stage[]> = { ENTRUSTED: ['ENTRUSTED', 'PILOT', 'LIVE', 'PAUSED'], LIVE: ['LIVE'] };

const SEED = JSON.parse(readFileSync(join(__dirname, 'rollout-seed.json'), 'utf8')) as { stages: Record<string, Stage> };

export class RolloutBoard {
  static readonly indexes: readonly IndexDeclaration[] = [
    { collection: 'rollout_stages', keys: { _id: 1 }, serves: "an industry's stage log, step by step" },
    { collection: 'entrustments', keys: { _id: 1 }, serves: "an item's entrustment records, revision by revision" },
  ];
  private readonly stages: mongo.Collection<StageStep>;
  readonly entrustments: Revisions<Omit<EntrustmentRevision, '_id' | 'seq' | 'by' | 'at'>>;

  constructor(db: Connection) {
    this.stages = db.db!.collection<StageStep>('rollout_stages');
    this.entrustments = new Revisions(db.db!.collection('entrustments'), { zh: '委托受理、授权审批记录', en: 'The entrustment record' });
  }

  /** At start: the repository's industries enter the board where the catalogue said they stood, once. */
  async seed(): Promise<void> {
    for (const [industryCode, stage] of Object.entries(SEED.stages)) {
      await insertOnce(this.stages, {
        _id: stepId(industryCode, 1),
        seq: 1,
        from: null,
        to: stage,
        reason: '导入：看板建立前目录记录的推出状态 / Imported: the stage the catalogue recorded before the board existed',
        by: 'system',
        at: new Date(),
      });
    }
  }

  async history(industryCode: string): Promise<StageStep[]> {
    return readLog(this.stages, (n) => stepId(industryCode, n));
  }

  /** Many industries' logs at once: one query for the first few steps of all, then more only for longer logs. */
  async histories(industryCodes: readonly string[]): Promise<Map<string, StageStep[]>> {
    const logs = new Map<string, StageStep[]>(industryCodes.map((c) => [c, []]));
    let open = [...industryCodes];
    for (let from = 1; open.length; from += 4) {
      const wanted = open.flatMap((code) => [0, 1, 2, 3].map((i) => stepId(code, from + i)));
      const found = new Map((await byIds(this.stages, wanted)).map((s) => [s._id, s]));
      open = open.filter((code) => {
        for (let i = 0; i < 4; i++) {
          const step = found.get(stepId(code, from + i));
          if (!step) return false;
          logs.get(code)!.push(step);
        }
        return true;
      });
    }
    return logs;
  }

  /** Moves an industry to `to`, decided on its current stage and readiness; refused when the move is not a step of the board or a gate is not met. */
  async change(industryCode: string, to: Stage, reason: string, by: string, readiness: () => Promise<Condition[]>): Promise<void> {
    const text = reason.trim();
    if ([...text].length < 2 || [...text].length > 500) {
      throw invalidInput([{ path: 'reason', code: text ? 'OUT_OF_RANGE' : 'REQUIRED', messageZh: '请写明变更原因（2–500 字）', messageEn: 'Give the reason for the change, 2–500 characters' }]);
    }
    const conditions = await readiness();
    await appendStep(
      async () => {
        const log = await this.history(industryCode);
        return { state: stageOf(log), seq: log.length };
      },
      (from) => {
        if (!NEXT[from].includes(to)) {
          throw platformError('WRONG_STATE', `不能从${STAGE_ZH[from]}变更为${STAGE_ZH[to]}`, `The board does not go from ${from} to ${to}`, { field: 'stage' });
        }
        const unmet = conditions.filter((c) => GATES[to].includes(c.condition) && !c.met);
        if (unmet.length) {
          throw platformError('NOT_READY', `就绪清单未完成：${unmet.map((c) => c.detailZh).join('；')}`, `The readiness checklist is incomplete: ${unmet.map((c) => c.detailEn).join('; ')}`, { field: 'stage' });
        }
        return { from, to, reason: text, by, at: new Date() };
      },
      (step, seq) => insertOnce(this.stages, { ...step, _id: stepId(industryCode, seq), seq }),
    );
  }

  /** The latest entrustment record of each of these items. */
  async latestEntrustments(itemCodes: readonly string[]): Promise<Map<string, EntrustmentRevision>> {
    const latest = await Promise.all(itemCodes.map(async (code) => [code, await this.entrustments.latest(code)] as const));
    return new Map(latest.filter((e): e is readonly [string, EntrustmentRevision] => e[1] !== null));
  }
}

const STAGE_ZH: Record<Stage, string> = { DRAFT: '准备中', ENTRUSTED: '已委托授权', PILOT: '试点', LIVE: '全面推行', PAUSED: '暂停' };

/** The stage a log leaves an industry in; an industry with no log is DRAFT. */
export function stageOf(log: StageStep[]): Stage {
  return log.at(-1)?.to ?? 'DRAFT';
}

/**
 * The readiness checklist of an industry: entrustments from the board's records,
 * the rest from the newest published catalogue edition (`published` is the
 * industry as that edition has it, or null when it is not in it yet).
 */
export function readinessOf(industry: IndustryDefinition, published: { catalogue: Catalogue; industry: IndustryDefinition } | null, catalogue: Catalogue, entrusted: Map<string, EntrustmentRevision>): Condition[] {
  const items = industry.items.map((i) => i.itemCode);
  const missing = items.filter((code) => !(entrusted.get(code)?.acceptanceEntrusted && entrusted.get(code)?.approvalAuthorised));
  const edition = published?.catalogue.edition;
  const notPublished = { zh: '本行业尚未发布于任何目录版本', en: 'The industry is not in a published catalogue edition yet' };
  const commitment = items.filter((code) => catalogue.item(code).commitmentAllowed);
  return [
    {
      condition: 'ENTRUSTMENT',
      met: missing.length === 0,
      detailZh: missing.length ? `尚未记录委托受理、授权审批的事项：${missing.join('、')}` : `${items.length} 个事项均已委托受理、授权审批`,
      detailEn: missing.length ? `Items without entrusted acceptance and authorised approval recorded: ${missing.join(', ')}` : `All ${items.length} items entrusted and authorised`,
    },
    {
      condition: 'FORM',
      met: Boolean(published),
      detailZh: !published ? notPublished.zh : published.industry.mergedForm ? `一表申请：合并表单由目录 ${edition} 生成` : '已选择“多个事项、一次申报”',
      detailEn: !published ? notPublished.en : published.industry.mergedForm ? `Merged form, built from edition ${edition}` : 'Fallback chosen: several items, one submission',
    },
    {
      condition: 'COMMITMENT',
      met: Boolean(published),
      detailZh: !published ? notPublished.zh : `告知承诺已确定：${commitment.length ? commitment.join('、') : '无'}可承诺，其余 ${items.length - commitment.length} 项不适用`,
      detailEn: !published ? notPublished.en : `Commitment decided: ${commitment.length ? commitment.join(', ') : 'none'} allowed, ${items.length - commitment.length} not`,
    },
    {
      condition: 'GUIDE',
      met: Boolean(published),
      detailZh: published ? `办事指南已发布于目录 ${edition}` : notPublished.zh,
      detailEn: published ? `Guide published in edition ${edition}` : notPublished.en,
    },
  ];
}

/** The plan's targets for a stage reached so far (`history`), and which are late today. */
export function targetsOf(log: StageStep[], today = beijingToday()) {
  const everReached = new Set(log.map((s) => s.to));
  const targets = PLAN_TARGETS.map((t) => ({ ...t, reached: REACHED[t.target].some((s) => (t.target === 'LIVE' ? stageOf(log) === s : everReached.has(s))) }));
  return { targets, late: targets.filter((t) => !t.reached && t.dueOn < today) };
}

export function checkEntrustmentInput(input: { itemCode: string; documentReference: string; signedOn: string; basedOnRevision: number }, catalogue: Catalogue): void {
  const problems: FieldProblem[] = [];
  if (!catalogue.items.some((i) => i.code === input.itemCode)) problems.push({ path: 'input.itemCode', code: 'UNKNOWN', messageZh: `目录中没有事项 ${input.itemCode}`, messageEn: `No item ${input.itemCode} in the catalogue` });
  const reference = [...input.documentReference.trim()].length;
  if (reference < 2 || reference > 100) problems.push({ path: 'input.documentReference', code: 'OUT_OF_RANGE', messageZh: '文件文号应为 2–100 字', messageEn: 'The document reference must be 2–100 characters' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.signedOn) || tryDayNumber(input.signedOn) === undefined) problems.push({ path: 'input.signedOn', code: 'INVALID_DATE', messageZh: '签署日期应为 YYYY-MM-DD', messageEn: 'The day signed is YYYY-MM-DD' });
  else if (input.signedOn > beijingToday()) problems.push({ path: 'input.signedOn', code: 'IN_FUTURE', messageZh: '签署日期不能晚于今天', messageEn: 'The day signed cannot be after today' });
  if (!Number.isInteger(input.basedOnRevision) || input.basedOnRevision < 0) problems.push({ path: 'input.basedOnRevision', code: 'OUT_OF_RANGE', messageZh: '所基于的版本号不能为负数', messageEn: 'The revision edited cannot be negative' });
  if (problems.length) throw invalidInput(problems);
}
