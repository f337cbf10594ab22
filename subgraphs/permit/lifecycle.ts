import { electronicLicenceIdentifier, ISSUER, licenceMetadata, PERMIT_LICENCE_TYPE_CODE } from '../../shared/elicence';
import { externalEvent, newEvent, outbox, type EventPayload, type PlatformEvent } from '../../shared/events';
import type { Logger } from '../../shared/logger';
import { insertOnce, insertPending } from '../../shared/records';
import { permitQrContent, qrPngBase64, qrSvg, signPermitQr } from './qr';
import { PermitStore, type LicenceEndingDoc, type PermitRequest, type PermitVersionDoc, type Permit, type VoidedDoc } from './store';
import { permitConfig } from './config';
import { licenceStatusText } from '../../shared/permit-state';

/**
 * The permit's life: issue, re-issue (new version, old superseded), void,
 * recall. Each step is an insert, carrying the push of the affected version to
 * the city e-licence library (when one is configured).
 */
export const CITY_LIBRARY = 'city-library';

export type LibraryEvent = 'ISSUED' | 'REISSUED' | 'VOIDED' | 'SUPERSEDED';

/** The library push for one version in one state; its id is the idempotency key the library sees. */
export function libraryPush(permit: PermitVersionDoc, event: LibraryEvent, status: Permit['status']): PlatformEvent[] {
  if (!permitConfig().CITY_LIBRARY_URL) return [];
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
  return [externalEvent('LicencePush', 'permit', CITY_LIBRARY, { event, metadata }, `LicencePush:${permit._id}:${event}`)];
}

export interface Actor {
  role: string;
  subject: string;
  department?: string;
}

/**
 * Inserts the next version from the application's current request. The
 * unique id `<applicationId>:v<n>` is the claim: a second issue of the same
 * version fails with a duplicate key (null here), which callers turn into a refusal.
 */
export async function insertVersion(
  store: PermitStore,
  request: PermitRequest,
  options: { previous: Permit | null; cause: string; actor: Actor; reason?: string },
): Promise<PermitVersionDoc | null> {
  const previous = options.previous?.doc;
  const version = (previous?.version ?? 0) + 1;
  const code = PermitStore.newCode();
  const qr = await signPermitQr(code);
  const content = permitQrContent(code, qr);
  const id = PermitStore.versionId(request._id, version);
  const doc: PermitVersionDoc = {
    _id: id,
    record: 'VERSION',
    permitId: id,
    code,
    version,
    applicationId: request._id,
    applicationNumber: request.applicationNumber,
    industryCode: request.industryCode,
    industryNameZh: request.industryNameZh,
    industryNameEn: request.industryNameEn,
    holder: request.holder,
    items: request.items,
    issuedAt: new Date(),
    issuedBy: options.actor.subject,
    issuedByRole: options.actor.role,
    ...(options.reason ? { reason: options.reason } : {}),
    licenceIdentifier: electronicLicenceIdentifier({ typeCode: PERMIT_LICENCE_TYPE_CODE, issuerCreditCode: ISSUER.creditCode, serial: code, version }),
    qr: { generatedAt: qr.generatedAt, kid: qr.kid, signature: qr.signature, type: qr.type, issuer: qr.issuer },
    qrImages: { svg: await qrSvg(content), pngBase64: await qrPngBase64(content) },
    cause: options.cause,
    ...(previous ? { supersedes: previous._id } : {}),
    _outbox: [],
  };
  Object.assign(
    doc,
    outbox(
      [
        // The applicant is told (the bureau's notifications live with the application).
        newEvent('PermitIssued', 'permit', 'applications', { applicationId: request._id, code, version, permitId: id }, `PermitIssued:${id}`),
        // Supervision registers the holder among the industry's permit holders.
        newEvent('PermitListed', 'permit', 'supervision', listing(doc), `PermitListed:${id}`),
        ...libraryPush(doc, previous ? 'REISSUED' : 'ISSUED', 'VALID'),
        ...(previous ? libraryPush(previous, 'SUPERSEDED', 'SUPERSEDED') : []),
      ],
      { effects: Boolean(previous) },
    ),
  );
  // The code first, so a scan finds every version that exists; then the version, which is the claim.
  await insertOnce(store.codes, { _id: code, permitId: id, applicationId: request._id });
  if (!(await insertPending(store.db, store.permits, doc))) return null;
  await store.completeRecord(doc);
  return doc;
}

/** What supervision is told of a new version: the industry, the company, its items (no person's data). */
function listing(doc: PermitVersionDoc): EventPayload<'PermitListed'> {
  return {
    permitId: doc._id,
    applicationId: doc.applicationId,
    code: doc.code,
    version: doc.version,
    industryCode: doc.industryCode,
    holder: { companyName: doc.holder.companyName, creditCode: doc.holder.creditCode },
    items: doc.items.map((i) => ({ itemCode: i.itemCode, departmentCode: i.departmentCode, permitted: i.permitted, licenceId: i.licenceId })),
    issuedAt: doc.issuedAt.toISOString(),
    ...(doc.supersedes ? { supersedes: doc.supersedes } : {}),
  };
}

/** Voids every valid version listing the ended licence. Each void is a fact inserted once, so repeating is harmless. */
export async function voidPermitsListing(store: PermitStore, ending: LicenceEndingDoc, log: Logger): Promise<void> {
  const { permits } = await store.versions(ending.applicationId);
  for (const permit of permits.filter((p) => p.status === 'VALID' && p.doc.items.some((i) => i.licenceId === ending._id))) {
    const item = permit.doc.items.find((i) => i.licenceId === ending._id)!;
    const reason = `${item.itemNameZh}（${item.departmentNameZh}）${licenceStatusText(ending.ending).zh}：${ending.reason}`;
    const voided: VoidedDoc = {
      _id: `${permit.id}:VOIDED`,
      record: 'VOIDED',
      applicationId: permit.doc.applicationId,
      permitId: permit.id,
      code: permit.doc.code,
      at: ending.endedAt,
      reason,
      ending: ending.ending,
      licenceId: ending._id,
      departmentCode: ending.departmentCode,
      ...outbox([
        ...libraryPush(permit.doc, 'VOIDED', 'VOID'),
        newEvent(
          'PermitVoided',
          'permit',
          'supervision',
          {
            permitId: permit.id,
            applicationId: permit.doc.applicationId,
            industryCode: permit.doc.industryCode,
            licenceId: ending._id,
            departmentCode: ending.departmentCode,
            ending: ending.ending as EventPayload<'PermitVoided'>['ending'],
            at: new Date(ending.endedAt).toISOString(),
          },
          `PermitVoided:${permit.id}`,
        ),
      ]),
    };
    if (await insertPending(store.db, store.permits, voided)) log.info({ permitId: permit.id, licenceId: ending._id }, 'permit voided');
  }
}
