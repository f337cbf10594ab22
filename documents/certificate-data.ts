import { ISSUER } from '../shared/elicence';
import type { CertificateData } from './certificate';

/** The permit as the printed certificate needs it: the holder's or the bureau's view (unmasked), each licence's live state. */
export const CERTIFICATE_QUERY = /* GraphQL */ `
  query Certificate($code: ID!) {
    permitCertificate(code: $code) {
      code version status licenceIdentifier industryNameZh industryNameEn voidedByLicenceId
      holderName holderCreditCode legalRepresentative businessAddress issuedAt scanUrl qrSvg qrPngBase64
      items {
        itemNameZh itemNameEn departmentNameZh permitted notPermittedReasons
        remedy { reconsiderationZh courtZh }
        licence { id licenceNumber status }
      }
    }
  }
`;

export interface CertificatePermit {
  code: string;
  version: number;
  status: CertificateData['status'];
  licenceIdentifier: string;
  industryNameZh: string;
  industryNameEn: string;
  voidedByLicenceId: string | null;
  holderName: string;
  holderCreditCode: string;
  legalRepresentative: string | null;
  businessAddress: string | null;
  issuedAt: string;
  scanUrl: string;
  qrSvg: string;
  qrPngBase64: string;
  items: {
    itemNameZh: string;
    itemNameEn: string;
    departmentNameZh: string;
    permitted: boolean;
    notPermittedReasons: string[] | null;
    remedy: { reconsiderationZh: string; courtZh: string };
    licence: { id: string; licenceNumber: string | null; status: string | null } | null;
  }[];
}

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
