import type { Connection } from 'mongoose';
import { isDuplicateKey } from '../../shared/db';
import { newEvent, type EventHandler, type PlatformEvent } from '../../shared/events';
import { department } from '../../shared/registry';
import type { Logger } from '../../shared/logger';
import { submittedValue, type Catalogue } from './catalogue';
import { editionsFor } from './editions';
import { ApplicationStore, type ApplicationDoc, type ItemOutcomeDoc } from './store';

interface ItemDecidedPayload {
  applicationId: string;
  itemCode: string;
  decision: 'APPROVED' | 'DENIED';
  reasons: string[];
  decidedAt: string;
  licenceId: string | null;
  licenceType: string | null;
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
      items: app.items.map((entry) => {
        const item = catalogue.item(entry.itemCode);
        const dept = department(entry.departmentCode)!;
        const outcome = outcomes.find((o) => o.itemCode === entry.itemCode)!;
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
          remedy: dept.remedy,
        };
      }),
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
      await store.outcomes.updateOne(
        { _id: `${p.applicationId}:${p.itemCode}` },
        {
          $setOnInsert: {
            applicationId: p.applicationId,
            itemCode: p.itemCode,
            decision: p.decision,
            reasons: p.reasons,
            decidedAt: new Date(p.decidedAt),
            licenceId: p.licenceId,
            licenceType: p.licenceType,
          },
        },
        { upsert: true },
      );
      // Whoever records the last outcome sees all of them; the unique summary id makes one of them win.
      const outcomes = await store.outcomes.find({ applicationId: app._id }).toArray();
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
