import type { Connection } from 'mongoose';
import { newEvent, outbox, type EventHandler, type PlatformEvent } from '../../shared/events';
import { department } from '../../shared/registry';
import { insertOnce } from '../../shared/records';
import type { Logger } from '../../shared/logger';
import { submittedValue, type Catalogue } from './catalogue';
import { editionsFor } from './editions';
import { notify } from './notifications';
import { ApplicationStore } from './store';
import type { Application, ApplicationItemDoc, ItemOutcomeDoc, NewApplicationStep, WithdrawalAnswerDoc } from './application';

interface ItemDecidedPayload {
  applicationId: string;
  itemCode: string;
  decision: 'APPROVED' | 'DENIED';
  reasons: string[];
  decidedAt: string;
  licenceId: string | null;
  licenceType: string | null;
  round?: number;
  pauses?: { from: string; to: string | null }[];
  onCommitment?: boolean;
}

/** One item as the permit records it: what was decided, by whom, and the remedy against it. */
function permitItem(entry: ApplicationItemDoc, outcome: ItemOutcomeDoc, catalogue: Catalogue) {
  const item = catalogue.item(entry.itemCode);
  const dept = department(entry.departmentCode)!;
  return {
    itemCode: item.code,
    itemNameZh: item.nameZh,
    itemNameEn: item.nameEn,
    departmentCode: dept.code,
    departmentNameZh: dept.nameZh,
    departmentNameEn: dept.nameEn,
    licenceType: item.licenceType,
    licenceId: outcome.licenceId,
    permitted: outcome.decision === 'APPROVED',
    reasons: outcome.reasons,
    round: outcome.round,
    remedy: dept.remedy,
  };
}

/** What the permit subgraph needs to issue the comprehensive permit: face data and every item's outcome. */
export function applicationDecidedEvent(app: Application, outcomes: ItemOutcomeDoc[], catalogue: Catalogue): PlatformEvent {
  const industry = catalogue.industry(app.doc.industryCode)!;
  const firstItem = app.doc.items[0].itemCode;
  return newEvent(
    'ApplicationDecided',
    'applications',
    'permit',
    {
      applicationId: app.id,
      applicationNumber: app.doc.number,
      industryCode: industry.code,
      industryNameZh: industry.nameZh,
      industryNameEn: industry.nameEn,
      holder: {
        companyName: app.holderName,
        creditCode: app.doc.creditCode,
        legalRepresentative: submittedValue(app.values, firstItem, 'legalRepresentative') ?? null,
        businessAddress: submittedValue(app.values, firstItem, 'businessAddress') ?? null,
      },
      items: app.doc.items.map((entry) => permitItem(entry, outcomes.find((o) => o.itemCode === entry.itemCode)!, catalogue)),
    },
    `ApplicationDecided:${app.id}`,
  );
}

/**
 * Moves an application on once the departments have answered: a withdrawal
 * succeeds when every department holds its review and fails when any item was
 * decided first (its holds are released); an accepted application whose every
 * item is decided is DECIDED. Each is a step appended from the state it was
 * decided on, so concurrent answers settle it once.
 */
export async function settleApplication(db: Connection, applicationId: string, log: Logger): Promise<void> {
  const store = new ApplicationStore(db);
  const editions = editionsFor(db);
  for (let guard = 0; guard < 4; guard++) {
    const { step } = await store.appendApplicationStep(applicationId, async ({ app, outcomes, answers }) => nextSettlement(app, outcomes, answers, await editions.edition(app.doc.edition)));
    if (!step) return;
    log.info({ applicationId, step: step.kind }, 'application settled');
  }
}

function nextSettlement(app: Application, outcomes: ItemOutcomeDoc[], answers: WithdrawalAnswerDoc[], catalogue: Catalogue): NewApplicationStep | null {
  const at = new Date();
  if (app.status === 'WITHDRAWING') {
    const attempt = app.withdrawalAttempt!;
    const decided = outcomes[0];
    if (decided) {
      // An item was decided before its department could hold it: the withdrawal fails as a whole, and the holds are let go.
      return {
        kind: 'WITHDRAWAL_FAILED',
        at,
        by: 'system',
        attempt,
        decidedItem: decided.itemCode,
        notification: {
          key: `withdrawal-failed:${attempt}`,
          creditCode: app.doc.creditCode,
          text: {
            kind: 'WITHDRAWAL_FAILED',
            titleZh: '撤回未成功',
            titleEn: 'Withdrawal not possible',
            bodyZh: `撤回未成功：「${catalogue.item(decided.itemCode).nameZh}」已由审批部门先行作出决定，申请继续办理。`,
            bodyEn: `The withdrawal did not go through: "${catalogue.item(decided.itemCode).nameEn}" had already been decided; the application goes on.`,
          },
        },
        ...outbox(
          app.doc.items.map((entry) =>
            newEvent('WithdrawalReleased', 'applications', entry.departmentCode, { applicationId: app.id, itemCode: entry.itemCode, attempt }, `WithdrawalReleased:${attempt}:${entry.itemCode}`),
          ),
          { effects: true },
        ),
      };
    }
    const held = new Set(answers.filter((a) => a.attempt === attempt).map((a) => a.itemCode));
    if (app.doc.items.every((i) => held.has(i.itemCode))) {
      return {
        kind: 'WITHDRAWN',
        at,
        by: app.withdrawal!.by,
        reason: app.withdrawal!.reason,
        notification: {
          key: `withdrawn:${attempt}`,
          creditCode: app.doc.creditCode,
          text: { kind: 'WITHDRAWN', titleZh: '申请已撤回', titleEn: 'Application withdrawn', bodyZh: `您的申请 ${app.doc.number} 已撤回。`, bodyEn: `Application ${app.doc.number} is withdrawn.` },
        },
        ...outbox([], { effects: true }),
      };
    }
    return null;
  }
  if (app.status === 'ACCEPTED' && app.doc.items.every((i) => outcomes.some((o) => o.itemCode === i.itemCode))) {
    return { kind: 'DECIDED', at, by: 'system', ...outbox([applicationDecidedEvent(app, outcomes, catalogue)]) };
  }
  return null;
}

export function applicationEventHandlers(db: Connection, log: Logger, kickOutbox: () => void): Record<string, EventHandler> {
  const store = new ApplicationStore(db);
  const editions = editionsFor(db);
  const requireApp = async (id: string) => {
    const app = await store.load(id);
    if (!app) throw new Error(`event for unknown application ${id}`);
    return app;
  };
  return {
    /** A department asked for a correction: the item's clock stands still, and the applicant is told. */
    ItemCorrectionRequested: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; problems: string[]; from: string; correctionId: string };
      const app = await requireApp(p.applicationId);
      await insertOnce(store.correctionNotices, { _id: p.correctionId, applicationId: p.applicationId, itemCode: p.itemCode, problems: p.problems, from: p.from, at: new Date() });
      const item = (await editions.edition(app.doc.edition)).item(p.itemCode);
      await notify(store, { _id: app.id, creditCode: app.doc.creditCode }, {
        kind: 'CORRECTION_REQUESTED',
        titleZh: `请补正：${item.nameZh}`,
        titleEn: `Correction requested: ${item.nameEn}`,
        bodyZh: `审批部门要求补正「${item.nameZh}」：${p.problems.join('；')}。补正期间办理时限暂停。`,
        bodyEn: `The department asks for a correction of "${item.nameEn}": ${p.problems.join('; ')}. The time limit stands still meanwhile.`,
      }, `correction:${p.correctionId}`);
      kickOutbox();
    },
    /** The permit was issued (or re-issued): tell the applicant. */
    PermitIssued: async (event) => {
      const p = event.payload as { applicationId: string; code: string; version: number; permitId: string };
      const app = await requireApp(p.applicationId);
      // 谁审批、谁负责: the holder is told, for each item, who decided it and where to turn.
      const catalogue = await editions.edition(app.doc.edition);
      const accountability = app.doc.items.map((entry) => {
        const dept = department(entry.departmentCode)!;
        return {
          zh: `「${catalogue.item(entry.itemCode).nameZh}」由${dept.nameZh}审批，如不服可向${dept.remedy.reconsiderationZh}申请行政复议或向${dept.remedy.courtZh}提起行政诉讼`,
          en: `"${catalogue.item(entry.itemCode).nameEn}" is decided by ${dept.nameEn}; reconsideration: ${dept.remedy.reconsiderationEn}; court: ${dept.remedy.courtEn}`,
        };
      });
      await notify(store, { _id: app.id, creditCode: app.doc.creditCode }, {
        kind: 'PERMIT_ISSUED',
        titleZh: p.version > 1 ? '综合许可凭证已换发' : '综合许可凭证已发放',
        titleEn: p.version > 1 ? 'Comprehensive permit re-issued' : 'Comprehensive permit issued',
        bodyZh: `您的综合许可凭证（编码 ${p.code}，第 ${p.version} 版）已发放，扫描证面二维码可查看各单项许可的实时状态。${accountability.map((a) => a.zh).join('；')}。`,
        bodyEn: `Your comprehensive permit (code ${p.code}, version ${p.version}) is issued; its QR code shows each licence's live state. ${accountability.map((a) => a.en).join('. ')}.`,
      }, `permit:${p.permitId}`);
      kickOutbox();
    },
    /** A department decided an item: record the outcome, tell the applicant, and settle the application. */
    ItemDecided: async (event) => {
      const p = event.payload as unknown as ItemDecidedPayload;
      const app = await requireApp(p.applicationId);
      const round = p.round ?? 1;
      const entry = app.doc.items.find((i) => i.itemCode === p.itemCode)!;
      const catalogue = await editions.edition(app.doc.edition);
      const outcome: ItemOutcomeDoc = {
        _id: `${p.applicationId}:${p.itemCode}#${round}`,
        applicationId: p.applicationId,
        itemCode: p.itemCode,
        round,
        decision: p.decision,
        reasons: p.reasons,
        decidedAt: new Date(p.decidedAt),
        licenceId: p.licenceId,
        licenceType: p.licenceType,
        pauses: p.pauses ?? [],
        onCommitment: Boolean(p.onCommitment),
      };
      // A later round changes what the permit says: tell it, in the same insert.
      const forward = round > 1 ? [newEvent('ItemOutcomeChanged', 'applications', 'permit', { applicationId: app.id, item: permitItem(entry, outcome, catalogue) }, `ItemOutcomeChanged:${outcome._id}`)] : [];
      await insertOnce(store.outcomes, { ...outcome, ...outbox(forward) });
      const item = catalogue.item(p.itemCode);
      // 谁审批、谁负责: a denial names the deciding department's remedy.
      const remedy = department(entry.departmentCode)!.remedy;
      await notify(store, { _id: app.id, creditCode: app.doc.creditCode }, {
        kind: p.decision === 'APPROVED' ? 'ITEM_APPROVED' : 'ITEM_DENIED',
        titleZh: p.decision === 'APPROVED' ? `准予许可：${item.nameZh}` : `不予许可：${item.nameZh}`,
        titleEn: p.decision === 'APPROVED' ? `Approved: ${item.nameEn}` : `Denied: ${item.nameEn}`,
        bodyZh:
          p.decision === 'APPROVED'
            ? `「${item.nameZh}」已准予许可${p.onCommitment ? '（告知承诺审批，将进行事后核查）' : ''}。`
            : `「${item.nameZh}」不予许可：${p.reasons.join('；')}。如不服，可向${remedy.reconsiderationZh}申请行政复议，或向${remedy.courtZh}提起行政诉讼。${remedy.deadlineNoteZh ?? ''}`,
        bodyEn:
          p.decision === 'APPROVED'
            ? `"${item.nameEn}" is approved${p.onCommitment ? ' on your commitment, to be verified' : ''}.`
            : `"${item.nameEn}" is denied: ${p.reasons.join('; ')}. You may apply to ${remedy.reconsiderationEn} for reconsideration, or sue at ${remedy.courtEn}.`,
      }, `decided:${p.itemCode}#${round}`);
      await settleApplication(db, app.id, log);
      kickOutbox();
    },
    /** A department holds its review for the applicant's withdrawal. */
    ItemWithdrawalHeld: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; attempt: string };
      await requireApp(p.applicationId);
      await insertOnce(store.withdrawalAnswers, { _id: `${p.attempt}:${p.itemCode}`, applicationId: p.applicationId, attempt: p.attempt, itemCode: p.itemCode, at: new Date() });
      await settleApplication(db, p.applicationId, log);
      kickOutbox();
    },
  };
}
