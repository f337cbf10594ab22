import { Archive } from './archive';
import type { Connection } from 'mongoose';
import { EventRefused, newEvent, outbox, type EventHandler, type PlatformEvent } from '../../shared/events';
import { department } from '../../shared/registry';
import type { Logger } from '../../shared/logger';
import { itemValues, submittedValue, type Catalogue } from './catalogue';
import { editionsFor } from './editions';
import { notify } from './notifications';
import { ApplicationStore } from './store';
import { blockedItems, prerequisitesOf, type Application, type ApplicationItemDoc, type ItemOutcome, type NewApplicationStep, type Settlement } from './application';

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

/** An item never sent to its department, because an item it waits for was denied: on the permit, not permitted, and why. */
function notHandled(app: Application, catalogue: Catalogue, itemCode: string): ItemOutcome {
  const denied = prerequisitesOf(app, catalogue, itemCode).map((code) => catalogue.item(code));
  return {
    itemCode,
    round: 1,
    decision: 'DENIED',
    reasons: [`前置事项「${denied.map((i) => i.nameZh).join('、')}」未获许可，本事项未予办理 / Not handled: it waits for ${denied.map((i) => `"${i.nameEn}"`).join(', ')}, which was not approved`],
    decidedAt: new Date(),
    licenceId: null,
    licenceType: null,
    pauses: [],
    onCommitment: false,
  };
}

/** One item as the permit records it: what was decided, by whom, and the remedy against it. */
export function permitItem(entry: ApplicationItemDoc, outcome: ItemOutcome, catalogue: Catalogue) {
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
export function applicationDecidedEvent(app: Application, outcomes: Map<string, ItemOutcome>, catalogue: Catalogue): PlatformEvent {
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
        legalRepresentative: (submittedValue(app.values, firstItem, 'legalRepresentative') as string | undefined) ?? null,
        businessAddress: (submittedValue(app.values, firstItem, 'businessAddress') as string | undefined) ?? null,
      },
      items: app.doc.items.map((entry) => permitItem(entry, outcomes.get(entry.itemCode)!, catalogue)),
    },
    `ApplicationDecided:${app.id}`,
  );
}

/** An item sent to its department: only its own values, under the item's own keys, and the applicant's identity. */
export function dispatchEvent(app: Application, catalogue: Catalogue, itemCode: string, at: Date): PlatformEvent {
  const industry = catalogue.industry(app.doc.industryCode)!;
  const item = catalogue.item(itemCode);
  const entry = app.doc.items.find((i) => i.itemCode === itemCode)!;
  const values = itemValues(industry, app.values, item);
  return newEvent(
    'ItemDispatched',
    'applications',
    entry.departmentCode,
    {
      applicationId: app.id,
      applicationNumber: app.doc.number,
      itemCode,
      holder: { companyName: app.holderName, creditCode: app.doc.creditCode },
      values,
      dispatchedAt: at.toISOString(),
      commitment: app.doc.commitments.includes(itemCode),
    },
    `ItemDispatched:${app.id}:${itemCode}`,
  );
}

/** The releases a failed withdrawal sends: every department holding a review lets its hold go. */
function releases(app: Application, attempt: string): PlatformEvent[] {
  return app.doc.items.filter((entry) => app.dispatchedAt.has(entry.itemCode)).map((entry) =>
    newEvent('WithdrawalReleased', 'applications', entry.departmentCode, { applicationId: app.id, itemCode: entry.itemCode, attempt }, `WithdrawalReleased:${attempt}:${entry.itemCode}`),
  );
}

/**
 * An item's decision, recorded in the application's log. If it is the step
 * that settles the application, it says so and carries what follows: while a
 * withdrawal waits, the withdrawal fails (its holds are released); the last
 * item decided makes the application DECIDED (the permit is told).
 */
export function itemDecidedStep(app: Application, outcome: ItemOutcome, catalogue: Catalogue, by: string): NewApplicationStep | null {
  const known = app.outcomes.get(outcome.itemCode);
  if (known && known.round >= outcome.round) return null; // a redelivery
  const entry = app.doc.items.find((i) => i.itemCode === outcome.itemCode);
  if (!entry) throw new Error(`application ${app.id} has no item ${outcome.itemCode}`);
  const outcomes = new Map(app.outcomes).set(outcome.itemCode, outcome);
  const settles: Settlement[] = [];
  const events: PlatformEvent[] = [];
  const at = new Date();
  // An approval lets go the items waiting for it (and for nothing else still undecided); a denial blocks them.
  const released =
    outcome.decision === 'APPROVED'
      ? app.doc.items
          .map((i) => i.itemCode)
          .filter((code) => !app.dispatchedAt.has(code) && prerequisitesOf(app, catalogue, code).every((pre) => outcomes.get(pre)?.decision === 'APPROVED'))
      : [];
  events.push(...released.map((code) => dispatchEvent(app, catalogue, code, at)));
  const blocked = blockedItems(app, catalogue, outcomes);
  // A later round, or an item decided after the application was (it waited for one approved in a later round), changes what the permit says: tell it, in the same step.
  if (outcome.round > 1 || app.status === 'DECIDED') events.push(newEvent('ItemOutcomeChanged', 'applications', 'permit', { applicationId: app.id, item: permitItem(entry, outcome, catalogue) }, `ItemOutcomeChanged:${app.id}:${outcome.itemCode}#${outcome.round}`));
  let status = app.status;
  if (status === 'WITHDRAWING') {
    settles.push('WITHDRAWAL_FAILED');
    events.push(...releases(app, app.withdrawalAttempt!));
    status = 'ACCEPTED';
  }
  if (status === 'ACCEPTED' && !released.length && app.doc.items.every((i) => outcomes.has(i.itemCode) || blocked.has(i.itemCode))) {
    settles.push('DECIDED');
    events.push(applicationDecidedEvent(app, new Map([...outcomes, ...[...blocked].map((code) => [code, notHandled(app, catalogue, code)] as const)]), catalogue));
  }
  const item = catalogue.item(outcome.itemCode);
  // 谁审批、谁负责: a denial names the deciding department's remedy.
  const remedy = department(entry.departmentCode)!.remedy;
  const approved = outcome.decision === 'APPROVED';
  return {
    kind: 'ITEM_DECIDED',
    at,
    by,
    outcome,
    ...(released.length ? { released } : {}),
    ...(settles.length ? { settles } : {}),
    notification: {
      key: `decided:${outcome.itemCode}#${outcome.round}`,
      creditCode: app.doc.creditCode,
      text: {
        kind: approved ? 'ITEM_APPROVED' : 'ITEM_DENIED',
        titleZh: approved ? `准予许可：${item.nameZh}` : `不予许可：${item.nameZh}`,
        titleEn: approved ? `Approved: ${item.nameEn}` : `Denied: ${item.nameEn}`,
        bodyZh: approved
          ? `「${item.nameZh}」已准予许可${outcome.onCommitment ? '（告知承诺审批，将进行事后核查）' : ''}。${settles.includes('WITHDRAWAL_FAILED') ? '该事项在撤回前已作出决定，撤回未成功，申请继续办理。' : ''}`
          : `「${item.nameZh}」不予许可：${outcome.reasons.join('；')}。如不服，可向${remedy.reconsiderationZh}申请行政复议，或向${remedy.courtZh}提起行政诉讼。${remedy.deadlineNoteZh ?? ''}`,
        bodyEn: approved
          ? `"${item.nameEn}" is approved${outcome.onCommitment ? ' on your commitment, to be verified' : ''}.${settles.includes('WITHDRAWAL_FAILED') ? ' It was decided before the withdrawal: the withdrawal did not go through and the application goes on.' : ''}`
          : `"${item.nameEn}" is denied: ${outcome.reasons.join('; ')}. You may apply to ${remedy.reconsiderationEn} for reconsideration, or sue at ${remedy.courtEn}.`,
      },
    },
    ...outbox(events, { effects: true }),
  };
}

/** A department holds its review for the withdrawal; the last to hold makes the application WITHDRAWN. */
export function itemHeldStep(app: Application, itemCode: string, attempt: string, by: string): NewApplicationStep | null {
  // A hold for a withdrawal already settled (or a redelivery): nothing to do; a failed one's release is on its way.
  if (app.status !== 'WITHDRAWING' || app.withdrawalAttempt !== attempt || app.held.has(itemCode)) return null;
  const held = new Set(app.held).add(itemCode);
  // Items still waiting for another's decision were never sent: nothing of theirs to hold.
  const all = app.doc.items.every((i) => held.has(i.itemCode) || !app.dispatchedAt.has(i.itemCode));
  return {
    kind: 'ITEM_HELD',
    at: new Date(),
    by,
    itemCode,
    attempt,
    ...(all
      ? {
          settles: ['WITHDRAWN'] as Settlement[],
          notification: {
            key: `withdrawn:${attempt}`,
            creditCode: app.doc.creditCode,
            text: { kind: 'WITHDRAWN', titleZh: '申请已撤回', titleEn: 'Application withdrawn', bodyZh: `您的申请 ${app.doc.number} 已撤回。`, bodyEn: `Application ${app.doc.number} is withdrawn.` },
          },
          ...outbox([], { effects: true }),
        }
      : {}),
  };
}

export function applicationEventHandlers(db: Connection, log: Logger): Record<string, EventHandler> {
  const store = new ApplicationStore(db);
  const editions = editionsFor(db);
  const requireApp = async (id: string) => {
    const app = await store.load(id);
    if (!app) throw new EventRefused(`no application ${id}`);
    return app;
  };
  /** A department speaks only of the items dispatched to it. */
  const requireItemOf = async (event: PlatformEvent, applicationId: string, itemCode: string) => {
    const app = await requireApp(applicationId);
    const entry = app.doc.items.find((i) => i.itemCode === itemCode);
    if (!entry || entry.departmentCode !== event.source) throw new EventRefused(`${event.source} does not decide ${itemCode} of application ${applicationId}`);
    return app;
  };
  return {
    /** A department asked for a correction: the item's clock stands still, and the applicant is told. */
    ItemCorrectionRequested: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; problems: string[]; from: string; correctionId: string };
      const app = await requireItemOf(event, p.applicationId, p.itemCode);
      const item = (await editions.edition(app.doc.edition)).item(p.itemCode);
      await store.append(app.id, (current) =>
        current.pauses.get(p.itemCode)?.some((x) => x.correctionId === p.correctionId)
          ? null
          : {
              kind: 'CORRECTION_REQUESTED',
              at: new Date(),
              by: event.source,
              itemCode: p.itemCode,
              correctionId: p.correctionId,
              problems: p.problems,
              from: p.from,
              notification: {
                key: `correction:${p.correctionId}`,
                creditCode: app.doc.creditCode,
                text: {
                  kind: 'CORRECTION_REQUESTED',
                  titleZh: `请补正：${item.nameZh}`,
                  titleEn: `Correction requested: ${item.nameEn}`,
                  bodyZh: `审批部门要求补正「${item.nameZh}」：${p.problems.join('；')}。补正期间办理时限暂停。`,
                  bodyEn: `The department asks for a correction of "${item.nameEn}": ${p.problems.join('; ')}. The time limit stands still meanwhile.`,
                },
              },
              ...outbox([], { effects: true }),
            },
      );
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
      // 电子档案: the first issue finishes the application; its file is sealed with the permit version.
      if (p.version === 1) await new Archive(store.db).seal(app, 'PERMIT_ISSUED', [{ permitId: p.permitId, code: p.code, version: p.version }]);
    },
    /** A department decided an item: recorded in the application's log, which may settle it. */
    ItemDecided: async (event) => {
      const p = event.payload as unknown as ItemDecidedPayload;
      const app = await requireItemOf(event, p.applicationId, p.itemCode);
      const catalogue = await editions.edition(app.doc.edition);
      const outcome: ItemOutcome = {
        itemCode: p.itemCode,
        round: p.round ?? 1,
        decision: p.decision,
        reasons: p.reasons,
        decidedAt: new Date(p.decidedAt),
        licenceId: p.licenceId,
        licenceType: p.licenceType,
        pauses: p.pauses ?? [],
        onCommitment: Boolean(p.onCommitment),
      };
      const { step } = await store.append(app.id, (current) => itemDecidedStep(current, outcome, catalogue, event.source));
      if (step?.settles) log.info({ applicationId: app.id, settles: step.settles }, 'application settled');
    },
    /** A department holds its review for the applicant's withdrawal. */
    ItemWithdrawalHeld: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; attempt: string };
      await requireItemOf(event, p.applicationId, p.itemCode);
      const { step } = await store.append(p.applicationId, (current) => itemHeldStep(current, p.itemCode, p.attempt, event.source));
      if (step?.settles) log.info({ applicationId: p.applicationId, settles: step.settles }, 'application settled');
    },
  };
}
