import type { Connection } from 'mongoose';
import type { EventHandler } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { PermitStore, type LicenceEndingDoc, type PermitRequestDoc } from './store';

const ENDING_ZH: Record<string, string> = {
  CANCELLED: '注销',
  LAPSED: '失效',
  WITHDRAWN: '撤回',
  ANNULLED: '撤销',
  REVOKED: '吊销',
};

/** Voids every valid permit listing the ended licence. Already void stays as it was, so repeating is harmless. */
export async function voidPermitsListing(store: PermitStore, ending: LicenceEndingDoc, log: Logger): Promise<void> {
  const affected = await store.permits.find({ 'items.licenceId': ending._id, status: 'VALID' }).toArray();
  for (const permit of affected) {
    const item = permit.items.find((i) => i.licenceId === ending._id)!;
    const reason = `${item.itemNameZh}（${item.departmentNameZh}）已${ENDING_ZH[ending.ending] ?? ending.ending}：${ending.reason}`;
    await store.permits.updateOne(
      { _id: permit._id, status: 'VALID' },
      {
        $set: { status: 'VOID', voidedAt: ending.endedAt, voidReason: reason, voidedByLicenceId: ending._id },
        $push: { history: { at: new Date(), action: 'VOIDED', byRole: 'DEPARTMENT', by: ending.departmentCode, reason } },
      },
    );
    log.info({ permitId: permit._id, licenceId: ending._id }, 'permit voided');
  }
}

export function permitEventHandlers(db: Connection, log: Logger): Record<string, EventHandler> {
  const store = new PermitStore(db);
  return {
    /** Every item decided: remember what the permit will say. Redelivery rewrites the same data. */
    ApplicationDecided: async (event) => {
      const p = event.payload as unknown as Omit<PermitRequestDoc, '_id' | 'receivedAt'> & { applicationId: string };
      const { applicationId, ...rest } = p;
      await store.requests.updateOne(
        { _id: applicationId },
        { $setOnInsert: { ...rest, receivedAt: new Date() } },
        { upsert: true },
      );
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
