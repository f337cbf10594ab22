import { ISSUER } from '../shared/elicence';
import type { CertificateData } from './certificate';

/** The permit as the printed certificate needs it (holder's or bureau's view: unmasked). */
export const CERTIFICATE_QUERY = /* GraphQL */ `
  query Certificate($id: ID!) {
    permit(id: $id) {
      code version status licenceIdentifier industryNameZh industryNameEn
      holderName holderCreditCode legalRepresentative businessAddress issuedAt scanUrl qrSvg qrPngBase64
      items { itemNameZh itemNameEn departmentNameZh permitted notPermittedReasons licence { licenceNumber } }
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
    licence: { licenceNumber: string | null } | null;
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
      notPermittedReasons: i.notPermittedReasons,
    })),
  };
}
