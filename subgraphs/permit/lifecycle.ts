import { electronicLicenceIdentifier, ISSUER, licenceMetadata, PERMIT_LICENCE_TYPE_CODE } from '../../shared/elicence';
import { newEvent, type PlatformEvent } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { signPermitQr } from './qr';
import { PermitStore, type HistoryEntry, type LicenceEndingDoc, type PermitDoc, type PermitRequestDoc } from './store';

/**
 * The permit's life: issue, re-issue (new version, old superseded), void. Each
 * step writes the permit and, in the same write, the push of the affected
 * version to the city e-licence library (when one is configured).
 */
export const CITY_LIBRARY = 'city-library';

export type LibraryEvent = 'ISSUED' | 'REISSUED' | 'VOIDED' | 'SUPERSEDED';

/** The library push for one version in one state; its id is the idempotency key the library sees. */
export function libraryPush(permit: PermitDoc, event: LibraryEvent, status: PermitDoc['status']): PlatformEvent[] {
  if (!process.env.CITY_LIBRARY_URL) return [];
  const metadata = licenceMetadata({
    identifier: permit.licenceIdentifier,
    number: permit.code,
    version: permit.version,
    issuedAt: permit.issuedAt,
    validFrom: permit.issuedAt,
    validUntil: null,
    holderName: permit.holder.companyName,
    holderCreditCode: permit.holder.creditCode,
    status,
    relatedItems: permit.items
      .filter((i) => i.permitted)
      .map((i) => ({ itemCode: i.itemCode, itemName: i.itemNameZh, departmentName: i.departmentNameZh, licenceNumber: null })),
  });
  return [newEvent('LicencePush', 'permit', CITY_LIBRARY, { event, metadata }, `LicencePush:${permit._id}:${event}`)];
}

export interface Actor {
  role: string;
  subject: string;
  department?: string;
}

const entry = (action: HistoryEntry['action'], version: number, actor: Actor, reason?: string): HistoryEntry => ({
  at: new Date(),
  action,
  version,
  byRole: actor.role,
  ...(actor.department ? { byDepartment: actor.department } : {}),
  by: actor.subject,
  ...(reason ? { reason } : {}),
});

/**
 * Inserts the next version from the application's current request. The
 * unique id `<applicationId>:v<n>` is the claim: a second issue of the same
 * version fails with a duplicate key, which callers turn into a refusal.
 */
export async function insertVersion(
  store: PermitStore,
  request: PermitRequestDoc,
  options: { previous: PermitDoc | null; cause: string; actor: Actor; reason?: string },
): Promise<PermitDoc> {
  const version = (options.previous?.version ?? 0) + 1;
  const code = PermitStore.newCode();
  const qr = await signPermitQr(code);
  const doc: PermitDoc = {
    _id: PermitStore.versionId(request._id, version),
    code,
    version,
    applicationId: request._id,
    applicationNumber: request.applicationNumber,
    industryCode: request.industryCode,
    industryNameZh: request.industryNameZh,
    industryNameEn: request.industryNameEn,
    holder: request.holder,
    items: request.items,
    status: 'VALID',
    issuedAt: new Date(),
    issuedBy: options.actor.subject,
    licenceIdentifier: electronicLicenceIdentifier({ typeCode: PERMIT_LICENCE_TYPE_CODE, issuerCreditCode: ISSUER.creditCode, serial: code, version }),
    qr: { generatedAt: qr.generatedAt, kid: qr.kid, signature: qr.signature, type: qr.type, issuer: qr.issuer },
    cause: options.cause,
    ...(options.previous ? { supersedes: options.previous._id } : {}),
    history: [
      ...(options.previous?.history ?? []),
      entry(options.previous ? 'REISSUED' : 'ISSUED', version, options.actor, options.reason),
    ],
    _outbox: [],
  };
  doc._outbox = [
    // The applicant is told (the bureau's notifications live with the application).
    newEvent('PermitIssued', 'permit', 'applications', { applicationId: request._id, code, version, permitId: doc._id }, `PermitIssued:${doc._id}`),
    ...libraryPush(doc, options.previous ? 'REISSUED' : 'ISSUED', 'VALID'),
    ...(options.previous ? libraryPush(options.previous, 'SUPERSEDED', 'SUPERSEDED') : []),
  ];
  await store.permits.insertOne(doc);
  if (options.previous) await store.markSuperseded(options.previous, doc);
  return doc;
}

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
        $set: { status: 'VOID', voidedAt: ending.endedAt, voidReason: reason, voidedByLicenceId: ending._id, reissueDue: false },
        $push: {
          history: entry('VOIDED', permit.version, { role: 'REVIEWER', subject: ending.departmentCode, department: ending.departmentCode }, reason),
          _outbox: { $each: libraryPush(permit, 'VOIDED', 'VOID') },
        },
      },
    );
    log.info({ permitId: permit._id, licenceId: ending._id }, 'permit voided');
  }
}

export { entry as historyEntry };
