import type { Connection } from 'mongoose';
import { EventRefused, type EventHandler } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { appendStep, insertOnce, readLog, stepId } from '../../shared/records';
import { insertVersion, voidPermitsListing } from './lifecycle';
import { PermitStore, type Holder, type LicenceEndingDoc, type PermitItemDoc, type PermitRequestDoc, type RequestChangeDoc } from './store';

type NewRequestChange = RequestChangeDoc extends infer C ? (C extends RequestChangeDoc ? Omit<C, '_id' | 'seq'> : never) : never;

/** Appends a change to an application's permit request, once per event. */
async function recordRequestChange(store: PermitStore, applicationId: string, change: NewRequestChange): Promise<void> {
  await appendStep(
    async () => {
      const log = (await readLog(store.requests, (n) => stepId(applicationId, n))) as RequestChangeDoc[];
      return { state: log, seq: log.length };
    },
    (log) => (log.some((c) => c.eventId === change.eventId) ? null : change),
    (step, seq) => insertOnce(store.requests, { ...step, _id: stepId(applicationId, seq), seq } as RequestChangeDoc),
  );
}

export function permitEventHandlers(db: Connection, log: Logger): Record<string, EventHandler> {
  const store = new PermitStore(db);
  return {
    /** Every item decided: remember what the permit will say. */
    ApplicationDecided: async (event) => {
      const p = event.payload as unknown as Omit<PermitRequestDoc, '_id' | 'record' | 'receivedAt'>;
      await insertOnce(store.requests, { ...p, _id: p.applicationId, record: 'REQUEST', receivedAt: new Date() });
    },

    /**
     * An item's outcome changed after the application was decided (a resubmitted
     * item was decided again): recorded as a change of the request. Whether the
     * current permit is due for re-issue follows from it (a noted item now permitted).
     */
    ItemOutcomeChanged: async (event) => {
      const p = event.payload as { applicationId: string; item: PermitItemDoc };
      // Not there yet: the relay brings this again after ApplicationDecided.
      if (!(await store.request(p.applicationId))) throw new Error(`no permit request for ${p.applicationId} yet`);
      await recordRequestChange(store, p.applicationId, { record: 'ITEM_OUTCOME', eventId: event.id, applicationId: p.applicationId, item: p.item, at: new Date() });
    },

    /**
     * A face change (name, legal representative, address): the one change
     * application changes the licences (in their departments) and the permit,
     * which is re-issued with the new face. The change id makes it happen once.
     */
    PermitFaceChanged: async (event) => {
      const p = event.payload as { applicationId: string; changeId: string; n?: number; holder: Partial<Holder>; requestedBy: { role: string; subject: string }; reason: string };
      if (!(await store.request(p.applicationId))) throw new Error(`no permit request for ${p.applicationId} yet`);
      const n = p.n ?? Number(p.changeId.split('#').pop());
      await recordRequestChange(store, p.applicationId, { record: 'FACE', eventId: event.id, applicationId: p.applicationId, n, changeId: p.changeId, holder: p.holder, at: new Date() });
      const request = (await store.request(p.applicationId))!;
      const { permits } = await store.versions(p.applicationId);
      const previous = permits[0];
      if (!previous || previous.status !== 'VALID') return; // nothing issued (yet), or void: the request now carries the new face
      if (permits.some((v) => v.doc.cause === `FACE_CHANGE:${p.changeId}`)) return; // already re-issued for it
      const inserted = await insertVersion(store, request, {
        previous,
        cause: `FACE_CHANGE:${p.changeId}`,
        actor: { role: p.requestedBy.role, subject: p.requestedBy.subject },
        reason: `证面信息变更 / face change: ${p.reason}`,
      });
      // Another re-issue took this version number: the redelivery re-issues on top of it.
      if (!inserted) throw new Error('version taken concurrently; retry');
      await voidIfEnded(store, inserted.items.flatMap((i) => (i.licenceId ? [i.licenceId] : [])), log);
    },

    /** A licence ended: remember it, and void every valid permit listing it. */
    LicenceEnded: async (event) => {
      const p = event.payload as { licenceId: string; applicationId: string; departmentCode: string; ending: string; reason: string; endedAt: string };
      // Only the department that issued a licence ends it: the decided application says which that is.
      const request = await store.request(p.applicationId);
      if (!request) throw new Error(`application ${p.applicationId} not decided here yet`); // its ApplicationDecided is on its way
      const item = request.items.find((i) => i.licenceId === p.licenceId);
      if (!item) throw new EventRefused(`application ${p.applicationId} has no licence ${p.licenceId}`);
      if (item.departmentCode !== event.source || p.departmentCode !== event.source) throw new EventRefused(`${event.source} did not issue licence ${p.licenceId}`);
      const ending: LicenceEndingDoc = { _id: p.licenceId, applicationId: p.applicationId, departmentCode: p.departmentCode, ending: p.ending, reason: p.reason, endedAt: new Date(p.endedAt) };
      await insertOnce(store.endings, ending);
      await voidPermitsListing(store, ending, log);
    },
  };
}

/**
 * A version just inserted may list a licence whose ending arrived while it was
 * being issued (that event found no such version yet): void it now. Either the
 * ending's handler sees the new version, or this sees the ending.
 */
export async function voidIfEnded(store: PermitStore, licenceIds: string[], log: Logger): Promise<void> {
  for (const ending of await store.endingsOf(licenceIds)) await voidPermitsListing(store, ending, log);
}
