import type { Connection } from 'mongoose';
import type { EventHandler } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { PermitStore, type PermitRequestDoc } from './store';

const ENDING_ZH: Record<string, string> = {
  CANCELLED: '注销',
  LAPSED: '失效',
  WITHDRAWN: '撤回',
  ANNULLED: '撤销',
  REVOKED: '吊销',
};

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
    /** A licence ended: every valid permit listing it becomes void. Already void stays as it was. */
    LicenceEnded: async (event) => {
      const p = event.payload as { licenceId: string; departmentCode: string; ending: string; reason: string; endedAt: string };
      const affected = await store.permits.find({ 'items.licenceId': p.licenceId, status: 'VALID' }).toArray();
      for (const permit of affected) {
        const item = permit.items.find((i) => i.licenceId === p.licenceId)!;
        const reason = `${item.itemNameZh}（${item.departmentNameZh}）已${ENDING_ZH[p.ending] ?? p.ending}：${p.reason}`;
        await store.permits.updateOne(
          { _id: permit._id, status: 'VALID' },
          {
            $set: { status: 'VOID', voidedAt: new Date(p.endedAt), voidReason: reason, voidedByLicenceId: p.licenceId },
            $push: { history: { at: new Date(), action: 'VOIDED', byRole: 'DEPARTMENT', by: p.departmentCode, reason } },
          },
        );
        log.info({ permitId: permit._id, licenceId: p.licenceId }, 'permit voided');
      }
    },
  };
}
