import { ISSUER } from '../shared/elicence';
import type { CertificateData } from './certificate';
import type { CertificateQuery } from './__generated__/operations';

/** The permit as the printed certificate needs it (documents/queries.ts), typed by `npm run generate`. */
export type CertificatePermit = NonNullable<CertificateQuery['permitCertificate']>;

export function certificateData(permit: CertificatePermit): CertificateData {
  return {
    code: permit.code,
    version: permit.version,
    status: permit.status,
    licenceIdentifier: permit.licenceIdentifier,
    industryNameZh: permit.industryNameZh,
    industryNameEn: permit.industryNameEn,
    holderName: permit.holderName,
    holderCreditCode: permit.holderCreditCode,
    legalRepresentative: permit.legalRepresentative ?? '',
    businessAddress: permit.businessAddress ?? '',
    issuedAt: permit.issuedAt,
    issuerNameZh: ISSUER.nameZh,
    scanUrl: permit.scanUrl,
    items: permit.items.map((i) => ({
      itemNameZh: i.itemNameZh,
      itemNameEn: i.itemNameEn,
      departmentNameZh: i.departmentNameZh,
      permitted: i.permitted,
      licenceNumber: i.licence?.licenceNumber ?? null,
      // The licence that voided the permit has ended, even while its department does not answer.
      licenceStatus: i.licence?.status ?? (i.licence && i.licence.id === permit.voidedByLicenceId ? 'ENDED' : null),
      notPermittedReasons: i.notPermittedReasons,
      remedy: i.permitted ? null : i.remedy,
    })),
  };
}
