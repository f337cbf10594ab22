/**
 * Every operation the documents service asks the gateway, in one place: it is
 * a client like any other, and `npm run generate` types each answer from these
 * and the supergraph (`__generated__/operations.ts`).
 */

/**
 * What a scan shows: face information, each licence's live state and the last
 * joint inspection's day and result. Not `overallState`: the page derives it
 * from this answer (`overallStateOfScan`), so the scan is the permit, then its
 * departments and supervision side by side, not a third round after them.
 */
export const SCANNED_PERMIT_FRAGMENT = /* GraphQL */ `
  fragment ScannedPermit on Permit {
      code
      version
      status
      industryNameZh
      industryNameEn
      holderName
      holderCreditCode
      legalRepresentative
      businessAddress
      issuedAt
      voidedAt
      voidReason
      scanUrl
      items {
        itemCode
        itemNameZh
        itemNameEn
        departmentCode
        departmentNameZh
        departmentNameEn
        permitted
        notPermittedReasons
        remedy { reconsiderationZh courtZh }
        licence { id licenceNumber status validUntil endedReason }
      }
      currentVersion { code version scanUrl }
      lastInspection { closedOn result }
  }
`;

/** A complaint from the scan page's form, sent as the person reporting (no token). */
export const COMPLAINT_MUTATION = /* GraphQL */ `
  mutation ScanPageComplaint($input: ComplaintInput!) {
    submitComplaint(input: $input) { id receivedAt departmentCodes }
  }
`;

/** The work team's printable roster, with the caller's token (staff). */
export const WORK_TEAM_QUERY = /* GraphQL */ `
  query WorkTeamPage {
    workTeam {
      revision note publishedAt
      convenor { name title }
      deputyConvenor { name title }
      officeDirector { name title }
      members { departmentCode departmentNameZh member { name title } liaison { name title phone } }
    }
  }
`;

/**
 * The bureau's dashboard, one query per panel: each asks what its panel shows,
 * with the viewer's token, so a panel the viewer's role may not see says so and
 * the others still draw (one refused root field would blank a single query).
 */
export const DASHBOARD_QUERIES = {
  permits: /* GraphQL */ `
    query DashboardPermits { permitsIssuedPerWeek(weeks: 12) { weekStart industryCode issued } }
  `,
  processing: /* GraphQL */ `
    query DashboardProcessing {
      processingStatistics {
        byItem { itemCode statutoryDays committedDays decided medianWorkingDays p90WorkingDays overCommitted overStatutory distribution { workingDays count } }
        intake { submitted supplementRequested refusedAtIntake supplementRate refusalRate itemsDecided itemsDenied denialRate }
        unknownYears
      }
    }
  `,
  due: /* GraphQL */ `
    query DashboardDue { itemsDue(includeNearDue: true) { applicationNumber holderName itemCode departmentCode clock { dueDate workingDaysLeft overdue } } }
  `,
  reform: /* GraphQL */ `
    query DashboardReform { reformFigures { industryCode industryNameZh formFieldReduction materialReduction timeReduction } }
  `,
  rollout: /* GraphQL */ `
    query DashboardRollout { rolloutBoard { industryCode industryNameZh stage ready late { target dueOn } } }
  `,
  supervision: /* GraphQL */ `
    query DashboardSupervision($year: Int!) {
      supervisionFigures(year: $year) {
        year inspections businessesInspected visitsWithJointInspection visitsWithoutJointInspection
        corrections { ordered correctedOnTime correctedLate overdue notYetDue onTimeRate }
        grades { industryCode counts { grade count } }
      }
    }
  `,
};

/** A case (落地案例) for an industry: its before and after from the catalogue, and what processing really took. Admins and analysts. */
export const CASE_QUERY = /* GraphQL */ `
  query IndustryCase($industryCode: ID!) {
    industry(code: $industryCode) {
      code nameZh nameEn edition mergedForm illustrative
      items { item { code nameZh nameEn departmentNameZh departmentNameEn statutoryDays committedDays illustrative } }
    }
    reformFigures {
      industryCode itemCount formFieldsSeparate formFieldsMerged formFieldReduction materialsSeparate materialsMerged materialReduction
      statutoryDaysSequential committedDaysSequential committedDaysUnified timeReduction
    }
    processingStatistics { byIndustry { key decided medianWorkingDays p90WorkingDays countsByState { state count } } unknownYears }
  }
`;

/** Look-up by code (typed in, or from GraphQL clients). */
export const SCAN_QUERY = /* GraphQL */ `
  query Scan($code: ID!) {
    scanPermit(code: $code) { ...ScannedPermit }
  }
  ${SCANNED_PERMIT_FRAGMENT}
`;

/** What the scan page runs for a scanned QR: its signature checked, and the same view. */
export const VERIFY_QUERY = /* GraphQL */ `
  query Verify($qrContent: String!) {
    verifyPermit(qrContent: $qrContent) {
      result
      signatureChecked
      authentic
      messageZh
      messageEn
      permit { ...ScannedPermit }
    }
  }
  ${SCANNED_PERMIT_FRAGMENT}
`;

/** A version's QR images, rendered once at issue. */
export const QR_IMAGES_QUERY = /* GraphQL */ `
  query QrImages($code: ID!) {
    scanPermit(code: $code) { qrSvg qrPngBase64 }
  }
`;

/** The public keys that sign QR codes (docs/qr.md). */
export const PERMIT_KEYS_QUERY = /* GraphQL */ `
  query PermitKeys {
    permitSigningKeys
  }
`;

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

/** The printable guide. */
export const GUIDE_QUERY = /* GraphQL */ `
  query PrintableGuide($industryCode: ID!, $answers: JSON) {
    guide(industryCode: $industryCode, answers: $answers) {
      edition
      answers
      bundle
      committedDays
      sumOfStatutoryDays
      feeYuan
      industry { code nameZh nameEn descriptionZh descriptionEn rolloutState mergedForm questions { key textZh textEn } }
      items {
        code nameZh nameEn departmentNameZh departmentNameEn licenceNameZh licenceNameEn
        statutoryDays committedDays feeYuan commitmentAllowed illustrative decidedAfter
        legalBasis { zh en } conditions { zh en } processSteps { zh en }
        materials { code nameZh nameEn commitmentMayOmit heldBy { nameZh nameEn connected } }
        remedy { reconsiderationZh reconsiderationEn courtZh courtEn deadlineNoteZh }
      }
      materials { code nameZh nameEn commitmentMayOmit itemCodes heldBy { nameZh nameEn connected } annotations { itemCode zh en } }
    }
  }
`;

/** 一业一册: the catalogue's items (conditions, legal basis, licence), the one checklist and the admins' supervision notes, for the printable manual. */
export const MANUAL_QUERY = /* GraphQL */ `
  query ComplianceManual($industryCode: ID!) {
    industry(code: $industryCode) {
      code nameZh nameEn edition illustrative
      items {
        item {
          code nameZh nameEn departmentNameZh departmentNameEn licenceNameZh licenceNameEn validityYears
          legalBasis { zh en } conditions { zh en }
        }
      }
      checklist { code itemCode textZh textEn legalBasisZh legalBasisEn failureZh failureEn onFailure correctionDays illustrative }
      supervisionNotes { revision publishedAt sections { titleZh titleEn bodyZh bodyEn } }
    }
  }
`;

export const DOCUMENT_OPERATIONS = [SCAN_QUERY, VERIFY_QUERY, QR_IMAGES_QUERY, PERMIT_KEYS_QUERY, CERTIFICATE_QUERY, GUIDE_QUERY, MANUAL_QUERY, COMPLAINT_MUTATION, WORK_TEAM_QUERY, CASE_QUERY, ...Object.values(DASHBOARD_QUERIES)];
