import { calendarFor } from '../../../shared/calendar-store';
import { invalidInput, platformError, type FieldProblem } from '../../../shared/errors';
import { newEvent, outbox } from '../../../shared/events';
import { requireRole } from '../../../shared/identity';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { validateFormValues } from '../../../shared/validation';
import { UnknownYearError } from '../../../shared/working-days';
import { beijingToday } from '../../../shared/beijing-calendar';
import { applicableItems, buildForm, type Catalogue } from '../catalogue';
import { dispatchEvent } from '../events';
import { editionsFor } from '../editions';
import type { NotificationText } from '../notifications';
import { ApplicationStore } from '../store';
import { prerequisitesOf, type Application, type Material, type SupplementProblem } from '../application';
import { requireApplication, requireOwnerOrClerk, requireStatus } from './access';
import { materialStatuses, sourceValues } from './materials';
import { fetchHeld } from '../held-sources';
import { requestDeadlineAt } from '../../../shared/db';
import { applicationsConfig } from '../config';
import type { Application as ApplicationType, MutationResolvers } from '../__generated__/resolver-types';

type Ctx = SubgraphContext;

/**
 * The comprehensive window's intake (一窗受理): accept and dispatch, send the
 * one supplement notice (一次性告知补正) listing everything missing at once,
 * or refuse; and the applicant's supplement and withdrawal. Each is a step of
 * the application's log, appended from the state it was decided on
 * (application.ts), so two of them can never both happen from one state.
 */

function calendarError(error: unknown): never {
  if (error instanceof UnknownYearError) {
    throw platformError('NOT_READY', `${error.year} 年的法定节假日安排尚未载入，无法计算工作日`, `No official holiday schedule is loaded for ${error.year}: working days cannot be counted`, {
      field: 'calendar',
    });
  }
  throw error;
}

/** Every required material not yet provided, held or covered by a commitment, as problems. */
function missingMaterials(app: Application, catalogue: Catalogue): SupplementProblem[] {
  return materialStatuses(app, catalogue)
    .filter((m) => m.status === 'MISSING')
    .map((m) => ({ target: m.code, kind: 'MATERIAL', messageZh: `缺少材料：${m.nameZh}`, messageEn: `Missing material: ${m.nameEn}` }));
}

/**
 * Fetches every material the application may take from the source holding it.
 * A source holding no record for this business refuses the acceptance for that
 * material: the applicant provides it (after a supplement notice) instead.
 */
async function fetchHeldMaterials(app: Application, catalogue: Catalogue, by: string): Promise<Material[]> {
  const toFetch = materialStatuses(app, catalogue).filter((m) => m.status === 'TO_FETCH');
  const results = await Promise.all(toFetch.map((m) => fetchHeld(m.heldBy!.code, m.code, sourceValues(app, { heldBy: m.heldBy!.code, itemCodes: m.itemCodes })!, by)));
  const notHeld = toFetch.filter((_, i) => 'notHeld' in results[i]);
  if (notHeld.length) {
    throw invalidInput(
      notHeld.map((m) => ({
        path: `materials.${m.code}`,
        code: 'NOT_HELD',
        messageZh: `${m.heldBy!.nameZh}中没有本企业的「${m.nameZh}」：请申请人提交（请发出补正通知）`,
        messageEn: `${m.heldBy!.nameEn} holds no "${m.nameEn}" for this business: the applicant provides it (send a supplement notice)`,
      })),
    );
  }
  return results as Material[];
}

/** The applicant is told of the step, by the step's completion. */
const tell = (app: Application, key: string, text: NotificationText) => ({ notification: { key, creditCode: app.doc.creditCode, text } });

export function intakeResolvers(view: (ctx: Ctx, store: ApplicationStore, app: Application) => Promise<ApplicationType>): MutationResolvers {
  return {
    acceptApplication: async (_, args, ctx) => {
      requireRole(ctx.identity, 'CLERK');
      const store = new ApplicationStore(ctx.db);
      const loaded = await requireApplication(store, args.id, 'id');
      const catalogue = await editionsFor(ctx.db).edition(loaded.doc.edition);
      const acceptable = (current: Application) => {
        requireStatus(current, ['SUBMITTED'], 'id');
        const missing = missingMaterials(current, catalogue);
        if (missing.length) {
          throw invalidInput(
            missing.map((m) => ({ path: `materials.${m.target}`, code: 'MISSING_MATERIAL', messageZh: `${m.messageZh}（请发出补正通知）`, messageEn: `${m.messageEn} (send a supplement notice)` })),
          );
        }
      };
      acceptable(loaded);
      // Materials the government holds are fetched now, before anything is written (held-sources.ts).
      const fetched = await fetchHeldMaterials(loaded, catalogue, ctx.identity.subject);
      const { app } = await store.append(args.id, async (current) => {
        acceptable(current);
        const at = new Date();
        // Items waiting for another item's decision go once it is approved (events.ts); the rest now, in parallel.
        const ready = current.doc.items.filter((entry) => !prerequisitesOf(current, catalogue, entry.itemCode).length).map((entry) => entry.itemCode);
        const dispatches = ready.map((itemCode) => dispatchEvent(current, catalogue, itemCode, at));
        return {
          kind: 'ACCEPTED',
          at,
          by: ctx.identity.subject,
          dispatched: ready,
          // What the applicant attached meanwhile stands; the rest was fetched.
          fetched: fetched.filter((m) => !current.materials.has(m.materialCode)),
          notification: {
            key: 'accepted',
            creditCode: current.doc.creditCode,
            text: {
              kind: 'ACCEPTED',
              titleZh: '申请已受理',
              titleEn: 'Application accepted',
              bodyZh: `您的申请 ${current.doc.number} 已受理，并已分送各审批部门。办理时限自今日起按工作日计算。`,
              bodyEn: `Application ${current.doc.number} is accepted and sent to each department; time limits run in working days from today.`,
            },
          },
          ...outbox(dispatches, { effects: true }),
        };
      });
      ctx.kickOutbox();
      ctx.log.info({ applicationId: app.id, items: app.doc.items.length }, 'application accepted and dispatched');
      return view(ctx, store, app);
    },

    requestSupplement: async (_, args, ctx) => {
      requireRole(ctx.identity, 'CLERK');
      const store = new ApplicationStore(ctx.db);
      const loaded = await requireApplication(store, args.applicationId);
      const catalogue = await editionsFor(ctx.db).edition(loaded.doc.edition);
      const industry = catalogue.industry(loaded.doc.industryCode)!;
      const fieldKeys = new Set(buildForm(industry, applicableItems(catalogue, industry, loaded.doc.answers)).flatMap((s) => s.fields.map((f) => f.key)));
      const statuses = materialStatuses(loaded, catalogue);
      const inputProblems: FieldProblem[] = [];
      const clerkProblems: SupplementProblem[] = args.problems.map((p, index) => {
        const kind = statuses.some((m) => m.code === p.target) ? 'MATERIAL' : fieldKeys.has(p.target) ? 'FIELD' : p.target === 'other' ? 'OTHER' : null;
        if (!kind) {
          inputProblems.push({ path: `problems.${index}.target`, code: 'UNKNOWN_TARGET', messageZh: `「${p.target}」不是本申请的材料或字段`, messageEn: `"${p.target}" is not a material or field of this application` });
        }
        if (!p.messageZh.trim()) inputProblems.push({ path: `problems.${index}.messageZh`, code: 'REQUIRED', messageZh: '请写明需补正的内容', messageEn: 'Say what is to be supplemented' });
        return { target: p.target, kind: kind ?? 'OTHER', messageZh: p.messageZh.trim(), messageEn: p.messageEn?.trim() || p.messageZh.trim() };
      });
      const days = args.deadlineWorkingDays ?? applicationsConfig().SUPPLEMENT_WORKING_DAYS;
      if (!Number.isInteger(days) || days < 1 || days > 30) {
        inputProblems.push({ path: 'deadlineWorkingDays', code: 'OUT_OF_RANGE', messageZh: '补正期限须为 1 至 30 个工作日', messageEn: 'The deadline is 1 to 30 working days' });
      }
      requireStatus(loaded, ['SUBMITTED']);
      if (loaded.supplementNotice) {
        throw platformError('WRONG_STATE', '补正通知只能一次性发出，该申请已补正过', 'The supplement notice is sent once; this application has already been supplemented', { field: 'applicationId' });
      }
      if (inputProblems.length) throw invalidInput(inputProblems);
      let deadline: string;
      try {
        deadline = (await calendarFor(ctx.db)).addWorkingDays(beijingToday(), days);
      } catch (error) {
        calendarError(error);
      }
      const { app } = await store.append(args.applicationId, async (current) => {
        requireStatus(current, ['SUBMITTED']);
        if (current.supplementNotice) {
          throw platformError('WRONG_STATE', '补正通知只能一次性发出，该申请已补正过', 'The supplement notice is sent once; this application has already been supplemented', { field: 'applicationId' });
        }
        // The notice lists everything at once: what the clerk found, and every material still missing.
        const missing = missingMaterials(current, catalogue).filter((m) => !clerkProblems.some((p) => p.target === m.target));
        const problems = [...clerkProblems, ...missing];
        if (!problems.length) {
          throw invalidInput([{ path: 'problems', code: 'REQUIRED', messageZh: '没有需要补正的内容：材料齐全可直接受理', messageEn: 'Nothing to supplement: the application is complete and can be accepted' }]);
        }
        const notice = { noticedAt: new Date(), deadline, by: ctx.identity.subject, problems };
        return {
          kind: 'SUPPLEMENT_REQUESTED',
          at: notice.noticedAt,
          by: ctx.identity.subject,
          notice,
          ...outbox([], { effects: true }),
          ...tell(current, 'supplement-notice', {
            kind: 'SUPPLEMENT_REQUESTED',
            titleZh: '一次性告知补正',
            titleEn: 'Supplement notice',
            bodyZh: `请于 ${deadline} 前一次性补正以下内容：${problems.map((p, i) => `${i + 1}. ${p.messageZh}`).join('；')}`,
            bodyEn: `Please supplement by ${deadline}: ${problems.map((p, i) => `${i + 1}. ${p.messageEn}`).join('; ')}`,
          }),
        };
      });
      ctx.kickOutbox();
      return view(ctx, store, app);
    },

    supplementApplication: async (_, args, ctx) => {
      const store = new ApplicationStore(ctx.db);
      const loaded = await requireApplication(store, args.applicationId);
      requireOwnerOrClerk(ctx.identity, loaded);
      const given = args.values ?? {};
      if (typeof given !== 'object' || Array.isArray(given)) {
        throw invalidInput([{ path: 'values', code: 'INVALID_TYPE', messageZh: '填报值须为对象', messageEn: 'Values must be an object' }]);
      }
      const catalogue = await editionsFor(ctx.db).edition(loaded.doc.edition);
      const industry = catalogue.industry(loaded.doc.industryCode)!;
      const fields = buildForm(industry, applicableItems(catalogue, industry, loaded.doc.answers)).flatMap((s) => s.fields);
      const { app } = await store.append(args.applicationId, async (current) => {
        if (current.status === 'SUBMITTED' && current.supplementedAt) throw platformError('WRONG_STATE', '只能补正一次', 'An application is supplemented once', { field: 'applicationId' });
        requireStatus(current, ['SUPPLEMENT_REQUESTED']);
        const deadline = current.supplementNotice!.deadline;
        if (beijingToday() > deadline) {
          throw platformError('WRONG_STATE', `补正期限（${deadline}）已过，请重新申请`, `The supplement deadline (${deadline}) has passed; apply again`, { field: 'applicationId' });
        }
        const problems = validateFormValues(fields, { ...current.values, ...(given as Record<string, unknown>) }, 'values');
        const stillMissing = missingMaterials(current, catalogue);
        problems.push(...stillMissing.map((m) => ({ path: `materials.${m.target}`, code: 'MISSING_MATERIAL', messageZh: m.messageZh, messageEn: m.messageEn })));
        if (problems.length) throw invalidInput(problems);
        return { kind: 'SUPPLEMENTED', at: new Date(), by: ctx.identity.subject, values: given as Record<string, unknown> };
      });
      ctx.log.info({ applicationId: app.id }, 'application supplemented');
      return view(ctx, store, app);
    },

    refuseAtIntake: async (_, args, ctx) => {
      requireRole(ctx.identity, 'CLERK');
      const store = new ApplicationStore(ctx.db);
      await requireApplication(store, args.applicationId);
      const reasons = args.reasons.map((r) => r.trim()).filter(Boolean);
      const { app } = await store.append(args.applicationId, (current) => {
        requireStatus(current, ['SUBMITTED', 'SUPPLEMENT_REQUESTED']);
        if (!reasons.length) throw invalidInput([{ path: 'reasons', code: 'REQUIRED', messageZh: '不予受理须说明理由', messageEn: 'A refusal must give its reasons' }]);
        return {
          kind: 'REFUSED',
          at: new Date(),
          by: ctx.identity.subject,
          reasons,
          ...outbox([], { effects: true }),
          ...tell(current, 'refused', {
            kind: 'REFUSED',
            titleZh: '不予受理',
            titleEn: 'Not accepted',
            bodyZh: `您的申请 ${current.doc.number} 不予受理：${reasons.join('；')}`,
            bodyEn: `Application ${current.doc.number} is not accepted: ${reasons.join('; ')}`,
          }),
        };
      });
      ctx.kickOutbox();
      return view(ctx, store, app);
    },

    /**
     * Before acceptance a withdrawal takes effect at once. After acceptance every
     * department is asked to hold its review; the answer comes back within
     * WITHDRAWAL_WAIT_MS as WITHDRAWN, as a refusal (an item was decided first,
     * so nothing is withdrawn), or, if a department is slow, as WITHDRAWING with
     * the outcome notified later. Never half.
     */
    withdrawApplication: async (_, args, ctx) => {
      const store = new ApplicationStore(ctx.db);
      const loaded = await requireApplication(store, args.applicationId);
      requireOwnerOrClerk(ctx.identity, loaded);
      const reason = args.reason.trim();
      const { app, step } = await store.append(args.applicationId, (current, attempt) => {
        if (current.status === 'WITHDRAWN' || current.status === 'WITHDRAWING') throw platformError('WRONG_STATE', '该申请已撤回', 'Already withdrawn', { field: 'applicationId' });
        requireStatus(current, ['SUBMITTED', 'SUPPLEMENT_REQUESTED', 'ACCEPTED']);
        if (current.outcomes.size) {
          throw platformError('WRONG_STATE', '已有事项作出决定，不能撤回申请', 'An item has already been decided: the application can no longer be withdrawn', { field: 'applicationId' });
        }
        if (!reason) throw invalidInput([{ path: 'reason', code: 'REQUIRED', messageZh: '请说明撤回原因', messageEn: 'Give a reason' }]);
        const at = new Date();
        if (current.status !== 'ACCEPTED') return { kind: 'WITHDRAWN', at, by: ctx.identity.subject, reason };
        return {
          kind: 'WITHDRAWAL_REQUESTED',
          at,
          by: ctx.identity.subject,
          reason,
          ...outbox(
            current.doc.items.filter((entry) => current.dispatchedAt.has(entry.itemCode)).map((entry) =>
              newEvent('WithdrawalRequested', 'applications', entry.departmentCode, { applicationId: current.id, itemCode: entry.itemCode, attempt, reason }, `WithdrawalRequested:${attempt}:${entry.itemCode}`),
            ),
          ),
        };
      });
      ctx.kickOutbox();
      if (step?.kind !== 'WITHDRAWAL_REQUESTED') {
        ctx.log.info({ applicationId: app.id }, 'application withdrawn');
        return view(ctx, store, app);
      }
      // Wait for the departments' answers, then answer WITHDRAWING: within WITHDRAWAL_WAIT_MS, and always
      // before the request's budget ends (after it the gateway reports "unavailable" for a withdrawal already written).
      const budgetEnd = requestDeadlineAt() ?? Number.POSITIVE_INFINITY;
      const deadline = Math.min(Date.now() + applicationsConfig().WITHDRAWAL_WAIT_MS, budgetEnd - 500);
      let settled = app;
      while (settled.status === 'WITHDRAWING' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        settled = (await store.load(app.id))!;
      }
      if (settled.status !== 'WITHDRAWING' && settled.status !== 'WITHDRAWN') {
        const catalogue = await editionsFor(ctx.db).edition(settled.doc.edition);
        const item = settled.failedWithdrawal ? catalogue.item(settled.failedWithdrawal.decidedItem) : undefined;
        throw platformError(
          'CONFLICT',
          `撤回未成功：「${item?.nameZh ?? ''}」已由审批部门先行作出决定，申请继续办理`,
          `The withdrawal did not go through: "${item?.nameEn ?? ''}" was decided first; the application goes on`,
          { field: 'applicationId' },
        );
      }
      ctx.log.info({ applicationId: app.id, status: settled.status }, 'withdrawal answered');
      return view(ctx, store, settled);
    },
  };
}
