import { calendarFor } from '../../../shared/calendar-store';
import { isDuplicateKey } from '../../../shared/db';
import { invalidInput, platformError, type FieldProblem } from '../../../shared/errors';
import { newEvent } from '../../../shared/events';
import { requireRole } from '../../../shared/identity';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { validateFormValues } from '../../../shared/validation';
import { beijingDate, UnknownYearError } from '../../../shared/working-days';
import { applicableItems, buildForm, submittedValue, type Catalogue } from '../catalogue';
import { editionsFor } from '../editions';
import { notify } from '../notifications';
import { ApplicationStore, type ApplicationDoc, type IntakeDecisionDoc, type SupplementProblem } from '../store';
import { requireApplication, requireOwnerOrClerk } from './access';
import { materialStatuses } from './materials';

type Ctx = SubgraphContext;

/**
 * The comprehensive window's intake (一窗受理): accept and dispatch, send the
 * one supplement notice (一次性告知补正) listing everything missing at once,
 * or refuse; and the applicant's supplement and withdrawal. Every transition
 * is a claim (a unique insert), so two clerks cannot both decide one stage.
 */
export const SUPPLEMENT_WORKING_DAYS = Number(process.env.SUPPLEMENT_WORKING_DAYS ?? 10);

function calendarError(error: unknown): never {
  if (error instanceof UnknownYearError) {
    throw platformError('NOT_READY', `${error.year} 年的法定节假日安排尚未载入，无法计算工作日`, `No official holiday schedule is loaded for ${error.year}: working days cannot be counted`, {
      field: 'calendar',
    });
  }
  throw error;
}

async function claimIntake(store: ApplicationStore, decision: IntakeDecisionDoc): Promise<void> {
  try {
    await store.intake.insertOne(decision);
  } catch (error) {
    if (isDuplicateKey(error)) {
      throw platformError('CONFLICT', '另一位窗口人员刚刚已处理该申请，请刷新', 'Another clerk has just handled this application; reload it', { field: 'applicationId' });
    }
    throw error;
  }
  await store.applyIntake(decision);
}

function requireIntakeState(app: ApplicationDoc, states: ApplicationDoc['status'][], field = 'applicationId') {
  if (!states.includes(app.status)) {
    throw platformError('WRONG_STATE', `申请当前状态为 ${app.status}，不能办理此操作`, `Not possible while the application is ${app.status}`, { field });
  }
}

/** Every required material not yet provided, held or covered by a commitment, as problems. */
async function missingMaterials(store: ApplicationStore, app: ApplicationDoc, catalogue: Catalogue): Promise<SupplementProblem[]> {
  return (await materialStatuses(store, app, catalogue))
    .filter((m) => m.status === 'MISSING')
    .map((m) => ({ target: m.code, kind: 'MATERIAL', messageZh: `缺少材料：${m.nameZh}`, messageEn: `Missing material: ${m.nameEn}` }));
}

export function intakeResolvers(view: (ctx: Ctx, store: ApplicationStore, app: ApplicationDoc) => Promise<unknown>) {
  return {
    acceptApplication: async (_: unknown, args: { id: string }, ctx: Ctx) => {
      requireRole(ctx.identity, 'CLERK');
      const store = new ApplicationStore(ctx.db);
      const app = await requireApplication(store, args.id, 'id');
      requireIntakeState(app, ['SUBMITTED'], 'id');
      const catalogue = await editionsFor(ctx.db).edition(app.edition);
      const missing = await missingMaterials(store, app, catalogue);
      if (missing.length) {
        throw invalidInput(
          missing.map((m) => ({ path: `materials.${m.target}`, code: 'MISSING_MATERIAL', messageZh: `${m.messageZh}（请发出补正通知）`, messageEn: `${m.messageEn} (send a supplement notice)` })),
        );
      }
      const acceptedAt = new Date();
      // Each department gets only its own item's values plus the applicant's identity.
      const dispatches = app.items.map((entry) => {
        const item = catalogue.item(entry.itemCode);
        const values = Object.fromEntries(item.elements.map((e) => [e.key, submittedValue(app.values, item.code, e.key)]).filter(([, v]) => v !== undefined));
        return newEvent(
          'ItemDispatched',
          'applications',
          entry.departmentCode,
          {
            applicationId: app._id,
            applicationNumber: app.number,
            itemCode: entry.itemCode,
            holder: { companyName: app.holderName, creditCode: app.creditCode },
            values,
            dispatchedAt: acceptedAt.toISOString(),
            commitment: app.commitments.includes(entry.itemCode),
          },
          `ItemDispatched:${app._id}:${entry.itemCode}`,
        );
      });
      await claimIntake(store, {
        _id: `${app._id}#${ApplicationStore.intakeStage(app)}`,
        applicationId: app._id,
        kind: 'ACCEPT',
        at: acceptedAt,
        by: ctx.identity.subject,
        applied: false,
        _outbox: dispatches,
      });
      await notify(store, app, {
        kind: 'ACCEPTED',
        titleZh: '申请已受理',
        titleEn: 'Application accepted',
        bodyZh: `您的申请 ${app.number} 已受理，并已分送各审批部门。办理时限自今日起按工作日计算。`,
        bodyEn: `Application ${app.number} is accepted and sent to each department; time limits run in working days from today.`,
      }, 'accepted');
      ctx.kickOutbox();
      ctx.log.info({ applicationId: app._id, items: dispatches.length }, 'application accepted and dispatched');
      return view(ctx, store, (await store.applications.findOne({ _id: app._id }))!);
    },

    requestSupplement: async (
      _: unknown,
      args: { applicationId: string; problems: { target: string; messageZh: string; messageEn?: string | null }[]; deadlineWorkingDays?: number | null },
      ctx: Ctx,
    ) => {
      requireRole(ctx.identity, 'CLERK');
      const store = new ApplicationStore(ctx.db);
      const app = await requireApplication(store, args.applicationId);
      requireIntakeState(app, ['SUBMITTED']);
      if (app.supplementNotice) {
        throw platformError('WRONG_STATE', '补正通知只能一次性发出，该申请已补正过', 'The supplement notice is sent once; this application has already been supplemented', { field: 'applicationId' });
      }
      const catalogue = await editionsFor(ctx.db).edition(app.edition);
      const industry = catalogue.industry(app.industryCode)!;
      const fieldKeys = new Set(buildForm(industry, applicableItems(catalogue, industry, app.answers)).flatMap((s) => s.fields.map((f) => f.key)));
      const statuses = await materialStatuses(store, app, catalogue);
      const inputProblems: FieldProblem[] = [];
      const clerkProblems: SupplementProblem[] = args.problems.map((p, index) => {
        const kind = statuses.some((m) => m.code === p.target) ? 'MATERIAL' : fieldKeys.has(p.target) ? 'FIELD' : p.target === 'other' ? 'OTHER' : null;
        if (!kind) {
          inputProblems.push({ path: `problems.${index}.target`, code: 'UNKNOWN_TARGET', messageZh: `「${p.target}」不是本申请的材料或字段`, messageEn: `"${p.target}" is not a material or field of this application` });
        }
        if (!p.messageZh.trim()) inputProblems.push({ path: `problems.${index}.messageZh`, code: 'REQUIRED', messageZh: '请写明需补正的内容', messageEn: 'Say what is to be supplemented' });
        return { target: p.target, kind: kind ?? 'OTHER', messageZh: p.messageZh.trim(), messageEn: p.messageEn?.trim() || p.messageZh.trim() };
      });
      const days = args.deadlineWorkingDays ?? SUPPLEMENT_WORKING_DAYS;
      if (!Number.isInteger(days) || days < 1 || days > 30) {
        inputProblems.push({ path: 'deadlineWorkingDays', code: 'OUT_OF_RANGE', messageZh: '补正期限须为 1 至 30 个工作日', messageEn: 'The deadline is 1 to 30 working days' });
      }
      if (inputProblems.length) throw invalidInput(inputProblems);
      // The notice lists everything at once: what the clerk found, and every material still missing.
      const missing = (await missingMaterials(store, app, catalogue)).filter((m) => !clerkProblems.some((p) => p.target === m.target));
      const problems = [...clerkProblems, ...missing];
      if (!problems.length) {
        throw invalidInput([{ path: 'problems', code: 'REQUIRED', messageZh: '没有需要补正的内容：材料齐全可直接受理', messageEn: 'Nothing to supplement: the application is complete and can be accepted' }]);
      }
      let deadline: string;
      try {
        deadline = (await calendarFor(ctx.db)).addWorkingDays(beijingDate(new Date()), days);
      } catch (error) {
        calendarError(error);
      }
      const notice = { noticedAt: new Date(), deadline, by: ctx.identity.subject, problems };
      await claimIntake(store, {
        _id: `${app._id}#1`,
        applicationId: app._id,
        kind: 'SUPPLEMENT',
        at: notice.noticedAt,
        by: ctx.identity.subject,
        notice,
        applied: false,
        _outbox: [],
      });
      await notify(store, app, {
        kind: 'SUPPLEMENT_REQUESTED',
        titleZh: '一次性告知补正',
        titleEn: 'Supplement notice',
        bodyZh: `请于 ${deadline} 前一次性补正以下内容：${problems.map((p, i) => `${i + 1}. ${p.messageZh}`).join('；')}`,
        bodyEn: `Please supplement by ${deadline}: ${problems.map((p, i) => `${i + 1}. ${p.messageEn}`).join('; ')}`,
      }, 'supplement-notice');
      ctx.kickOutbox();
      return view(ctx, store, (await store.applications.findOne({ _id: app._id }))!);
    },

    supplementApplication: async (_: unknown, args: { applicationId: string; values?: unknown }, ctx: Ctx) => {
      const store = new ApplicationStore(ctx.db);
      const app = await requireApplication(store, args.applicationId);
      requireOwnerOrClerk(ctx.identity, app);
      requireIntakeState(app, ['SUPPLEMENT_REQUESTED']);
      const today = beijingDate(new Date());
      if (today > app.supplementNotice!.deadline) {
        throw platformError('WRONG_STATE', `补正期限（${app.supplementNotice!.deadline}）已过，请重新申请`, `The supplement deadline (${app.supplementNotice!.deadline}) has passed; apply again`, {
          field: 'applicationId',
        });
      }
      const given = args.values ?? {};
      if (typeof given !== 'object' || Array.isArray(given)) {
        throw invalidInput([{ path: 'values', code: 'INVALID_TYPE', messageZh: '填报值须为对象', messageEn: 'Values must be an object' }]);
      }
      const catalogue = await editionsFor(ctx.db).edition(app.edition);
      const industry = catalogue.industry(app.industryCode)!;
      const fields = buildForm(industry, applicableItems(catalogue, industry, app.answers)).flatMap((s) => s.fields);
      const merged = { ...app.values, ...(given as Record<string, unknown>) };
      const problems = validateFormValues(fields, merged, 'values');
      const stillMissing = await missingMaterials(store, app, catalogue);
      problems.push(...stillMissing.map((m) => ({ path: `materials.${m.target}`, code: 'MISSING_MATERIAL', messageZh: m.messageZh, messageEn: m.messageEn })));
      if (problems.length) throw invalidInput(problems);
      const supplement = { _id: app._id, at: new Date(), by: ctx.identity.subject, values: given as Record<string, unknown>, applied: false };
      try {
        await store.supplements.insertOne(supplement);
      } catch (error) {
        if (isDuplicateKey(error)) throw platformError('WRONG_STATE', '只能补正一次', 'An application is supplemented once', { field: 'applicationId' });
        throw error;
      }
      await store.applySupplement(supplement);
      ctx.log.info({ applicationId: app._id }, 'application supplemented');
      return view(ctx, store, (await store.applications.findOne({ _id: app._id }))!);
    },

    refuseAtIntake: async (_: unknown, args: { applicationId: string; reasons: string[] }, ctx: Ctx) => {
      requireRole(ctx.identity, 'CLERK');
      const store = new ApplicationStore(ctx.db);
      const app = await requireApplication(store, args.applicationId);
      requireIntakeState(app, ['SUBMITTED', 'SUPPLEMENT_REQUESTED']);
      const reasons = args.reasons.map((r) => r.trim()).filter(Boolean);
      if (!reasons.length) throw invalidInput([{ path: 'reasons', code: 'REQUIRED', messageZh: '不予受理须说明理由', messageEn: 'A refusal must give its reasons' }]);
      await claimIntake(store, {
        _id: `${app._id}#${ApplicationStore.intakeStage(app)}`,
        applicationId: app._id,
        kind: 'REFUSE',
        at: new Date(),
        by: ctx.identity.subject,
        reasons,
        applied: false,
        _outbox: [],
      });
      await notify(store, app, {
        kind: 'REFUSED',
        titleZh: '不予受理',
        titleEn: 'Not accepted',
        bodyZh: `您的申请 ${app.number} 不予受理：${reasons.join('；')}`,
        bodyEn: `Application ${app.number} is not accepted: ${reasons.join('; ')}`,
      }, 'refused');
      ctx.kickOutbox();
      return view(ctx, store, (await store.applications.findOne({ _id: app._id }))!);
    },

    withdrawApplication: async (_: unknown, args: { applicationId: string; reason: string }, ctx: Ctx) => {
      const store = new ApplicationStore(ctx.db);
      const app = await requireApplication(store, args.applicationId);
      requireOwnerOrClerk(ctx.identity, app);
      requireIntakeState(app, ['SUBMITTED', 'SUPPLEMENT_REQUESTED', 'ACCEPTED']);
      const decided = (await store.outcomesFor([app._id])).get(app._id)!;
      if (decided.length) {
        throw platformError('WRONG_STATE', '已有事项作出决定，不能撤回申请', 'An item has already been decided: the application can no longer be withdrawn', { field: 'applicationId' });
      }
      if (!args.reason.trim()) throw invalidInput([{ path: 'reason', code: 'REQUIRED', messageZh: '请说明撤回原因', messageEn: 'Give a reason' }]);
      const withdrawal = {
        _id: app._id,
        at: new Date(),
        by: ctx.identity.subject,
        reason: args.reason.trim(),
        applied: false,
        // Departments are told whether or not the items reached them: a withdrawn review is never decided.
        _outbox: app.items.map((entry) =>
          newEvent('ItemWithdrawn', 'applications', entry.departmentCode, { applicationId: app._id, itemCode: entry.itemCode, reason: args.reason.trim() }, `ItemWithdrawn:${app._id}:${entry.itemCode}`),
        ),
      };
      try {
        await store.withdrawals.insertOne(withdrawal);
      } catch (error) {
        if (isDuplicateKey(error)) throw platformError('WRONG_STATE', '该申请已撤回', 'Already withdrawn', { field: 'applicationId' });
        throw error;
      }
      await store.applyWithdrawal(withdrawal);
      ctx.kickOutbox();
      ctx.log.info({ applicationId: app._id }, 'application withdrawn');
      return view(ctx, store, (await store.applications.findOne({ _id: app._id }))!);
    },
  };
}
