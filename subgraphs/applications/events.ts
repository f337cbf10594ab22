import type { Connection } from 'mongoose';
import { isDuplicateKey } from '../../shared/db';
import { newEvent, type EventHandler, type PlatformEvent } from '../../shared/events';
import { department } from '../../shared/registry';
import type { Logger } from '../../shared/logger';
import { submittedValue, type Catalogue } from './catalogue';
import { editionsFor } from './editions';
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
      if (forward.length) kickOutbox();
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
