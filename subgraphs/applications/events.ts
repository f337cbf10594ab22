import type { Connection } from 'mongoose';
import { isDuplicateKey } from '../../shared/db';
import { newEvent, type EventHandler, type PlatformEvent } from '../../shared/events';
import { department } from '../../shared/registry';
import type { Logger } from '../../shared/logger';
import { submittedValue, type Catalogue } from './catalogue';
import { editionsFor } from './editions';
import { notify } from './notifications';
import { ApplicationStore, type ApplicationDoc, type ApplicationItemDoc, type ItemOutcomeDoc } from './store';

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
export function applicationDecidedEvent(app: ApplicationDoc, outcomes: ItemOutcomeDoc[], catalogue: Catalogue): PlatformEvent {
  const industry = catalogue.industry(app.industryCode)!;
  return newEvent(
    'ApplicationDecided',
    'applications',
    'permit',
    {
      applicationId: app._id,
      applicationNumber: app.number,
      industryCode: industry.code,
      industryNameZh: industry.nameZh,
      industryNameEn: industry.nameEn,
      holder: {
        companyName: app.holderName,
        creditCode: app.creditCode,
        legalRepresentative: submittedValue(app.values, app.items[0].itemCode, 'legalRepresentative') ?? null,
        businessAddress: submittedValue(app.values, app.items[0].itemCode, 'businessAddress') ?? null,
      },
      items: app.items.map((entry) => permitItem(entry, outcomes.find((o) => o.itemCode === entry.itemCode)!, catalogue)),
    },
    `ApplicationDecided:${app._id}`,
  );
}

export function applicationEventHandlers(db: Connection, log: Logger, kickOutbox: () => void): Record<string, EventHandler> {
  const store = new ApplicationStore(db);
  const editions = editionsFor(db);
  return {
    /** A department asked for a correction: the item's clock stands still, and the applicant is told. */
    ItemCorrectionRequested: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; problems: string[]; from: string; correctionId: string };
      const app = await store.applications.findOne({ _id: p.applicationId });
      if (!app) throw new Error(`correction for unknown application ${p.applicationId}`);
      const id = `${p.applicationId}:${p.itemCode}`;
      const clock = await store.clocks.findOne({ _id: id });
      if (!clock?.pauses.some((x) => x.eventId === p.correctionId)) {
        await store.clocks.updateOne(
          { _id: id },
          { $set: { applicationId: p.applicationId, itemCode: p.itemCode, pauses: [...(clock?.pauses ?? []), { from: p.from, to: null, eventId: p.correctionId }] } },
          { upsert: true },
        );
      }
      const item = (await editions.edition(app.edition)).item(p.itemCode);
      await notify(store, app, {
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
      const app = await store.applications.findOne({ _id: p.applicationId });
      if (!app) throw new Error(`permit for unknown application ${p.applicationId}`);
      // 谁审批、谁负责: the holder is told, for each item, who decided it and where to turn.
      const catalogue = await editions.edition(app.edition);
      const accountability = app.items.map((entry) => {
        const dept = department(entry.departmentCode)!;
        return {
          zh: `「${catalogue.item(entry.itemCode).nameZh}」由${dept.nameZh}审批，如不服可向${dept.remedy.reconsiderationZh}申请行政复议或向${dept.remedy.courtZh}提起行政诉讼`,
          en: `"${catalogue.item(entry.itemCode).nameEn}" is decided by ${dept.nameEn}; reconsideration: ${dept.remedy.reconsiderationEn}; court: ${dept.remedy.courtEn}`,
        };
      });
      await notify(store, app, {
        kind: 'PERMIT_ISSUED',
        titleZh: p.version > 1 ? '综合许可凭证已换发' : '综合许可凭证已发放',
        titleEn: p.version > 1 ? 'Comprehensive permit re-issued' : 'Comprehensive permit issued',
        bodyZh: `您的综合许可凭证（编码 ${p.code}，第 ${p.version} 版）已发放，扫描证面二维码可查看各单项许可的实时状态。${accountability.map((a) => a.zh).join('；')}。`,
        bodyEn: `Your comprehensive permit (code ${p.code}, version ${p.version}) is issued; its QR code shows each licence's live state. ${accountability.map((a) => a.en).join('. ')}.`,
      }, `permit:${p.permitId}`);
      kickOutbox();
    },
    ItemDecided: async (event) => {
      const p = event.payload as unknown as ItemDecidedPayload;
      const app = await store.applications.findOne({ _id: p.applicationId });
      if (!app) throw new Error(`decision for unknown application ${p.applicationId}`);
      const round = p.round ?? 1;
      const entry = app.items.find((i) => i.itemCode === p.itemCode)!;
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
      // A later round changes what the permit says: tell it, in the same write.
      const forward =
        round > 1
          ? [
              newEvent(
                'ItemOutcomeChanged',
                'applications',
                'permit',
                { applicationId: app._id, item: permitItem(entry, outcome, await editions.edition(app.edition)) },
                `ItemOutcomeChanged:${outcome._id}`,
              ),
            ]
          : [];
      const { _id, ...fields } = outcome;
      await store.outcomes.updateOne({ _id }, { $setOnInsert: { ...fields, _outbox: forward } }, { upsert: true });
      const item = (await editions.edition(app.edition)).item(p.itemCode);
      // 谁审批、谁负责: a denial names the deciding department's remedy.
      const remedy = department(entry.departmentCode)!.remedy;
      await notify(store, app, {
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
      kickOutbox();
      // Whoever records the last outcome sees all of them; the unique summary id makes one of them win.
      const outcomes = (await store.outcomesFor([app._id])).get(app._id)!;
      if (outcomes.length < app.items.length) return;
      try {
        await store.summaries.insertOne({
          _id: app._id,
          decidedAt: new Date(),
          _outbox: [applicationDecidedEvent(app, outcomes, await editions.edition(app.edition))],
        });
        await store.applications.updateOne({ _id: app._id }, { $set: { status: 'DECIDED' } });
        log.info({ applicationId: app._id }, 'every item decided');
        kickOutbox();
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        await store.applications.updateOne({ _id: app._id }, { $set: { status: 'DECIDED' } });
      }
    },
  };
}
