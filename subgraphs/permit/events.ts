import type { Connection } from 'mongoose';
import type { EventHandler } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { insertVersion, voidPermitsListing } from './lifecycle';
import { PermitStore, type Holder, type LicenceEndingDoc, type PermitItemDoc, type PermitRequestDoc } from './store';
import { isDuplicateKey } from '../../shared/db';

export function permitEventHandlers(db: Connection, log: Logger): Record<string, EventHandler> {
  const store = new PermitStore(db);
  return {
    /** Every item decided: remember what the permit will say. Redelivery rewrites the same data. */
    ApplicationDecided: async (event) => {
      const p = event.payload as unknown as Omit<PermitRequestDoc, '_id' | 'receivedAt'> & { applicationId: string };
      const { applicationId, ...rest } = p;
      await store.requests.updateOne({ _id: applicationId }, { $setOnInsert: { ...rest, receivedAt: new Date() } }, { upsert: true });
    },

    /**
     * An item's outcome changed after the application was decided (a resubmitted
     * item was decided again). A later round replaces an earlier one; if a noted
     * item is now permitted, the current permit is marked for re-issue.
     */
    ItemOutcomeChanged: async (event) => {
      const p = event.payload as { applicationId: string; item: PermitItemDoc };
      const request = await store.requests.findOne({ _id: p.applicationId });
      // Not there yet: the relay will bring this again after ApplicationDecided.
      if (!request) throw new Error(`no permit request for ${p.applicationId} yet`);
      const current = request.items.find((i) => i.itemCode === p.item.itemCode);
      if (current && (current.round ?? 1) >= (p.item.round ?? 1)) return;
      const items = request.items.map((i) => (i.itemCode === p.item.itemCode ? p.item : i));
      await store.requests.updateOne({ _id: request._id }, { $set: { items } });
      const permit = await store.latest(request._id);
      if (permit?.status === 'VALID' && p.item.permitted && permit.items.some((i) => i.itemCode === p.item.itemCode && !i.permitted)) {
        await store.permits.updateOne({ _id: permit._id, status: 'VALID' }, { $set: { reissueDue: true } });
        log.info({ permitId: permit._id, itemCode: p.item.itemCode }, 'noted item now permitted: re-issue due');
      }
    },

    /**
     * A face change (name, legal representative, address): the one change
     * application changes the licences (in their departments) and the permit,
     * which is re-issued with the new face. The change id makes it happen once.
     */
    PermitFaceChanged: async (event) => {
      const p = event.payload as { applicationId: string; changeId: string; holder: Partial<Holder>; requestedBy: { role: string; subject: string }; reason: string };
      const request = await store.requests.findOne({ _id: p.applicationId });
      if (!request) throw new Error(`no permit request for ${p.applicationId} yet`);
      const holder = { ...request.holder, ...p.holder };
      await store.requests.updateOne({ _id: request._id }, { $set: { holder } });
      const previous = await store.latest(request._id);
      if (!previous || previous.status !== 'VALID') return; // nothing issued (yet), or void: the request now carries the new face
      if (await store.permits.findOne({ applicationId: request._id, cause: `FACE_CHANGE:${p.changeId}` })) return; // already re-issued for it
      try {
        await insertVersion(store, { ...request, holder }, {
          previous,
          cause: `FACE_CHANGE:${p.changeId}`,
          actor: { role: p.requestedBy.role, subject: p.requestedBy.subject },
          reason: `证面信息变更 / face change: ${p.reason}`,
        });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // another re-issue got this version number: redelivery will retry
        throw new Error('version taken concurrently; retry');
      }
    },

    /** A licence ended: remember it, and void every valid permit listing it. */
    LicenceEnded: async (event) => {
      const p = event.payload as { licenceId: string; departmentCode: string; ending: string; reason: string; endedAt: string };
      const ending: LicenceEndingDoc = {
        _id: p.licenceId,
        departmentCode: p.departmentCode,
        ending: p.ending,
        reason: p.reason,
        endedAt: new Date(p.endedAt),
      };
      const { _id, ...fields } = ending;
      await store.endings.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
      await voidPermitsListing(store, ending, log);
    },
  };
}
