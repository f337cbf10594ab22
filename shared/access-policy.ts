import type { Role } from './identity';

/**
 * Who may call what: every query and mutation of the composed schema, for
 * every role. `any`: allowed; `own`: allowed only on one's own (an applicant
 * on their own business's records, a reviewer in their own department); absent:
 * refused (or, for a lookup, answered as if nothing were there). A department's
 * operations are listed once as `department.<Queries|Mutations>.<field>`, for
 * every department alike. The resolvers enforce it; `test/e2e/access.test.ts`
 * calls every operation as every role on real records and checks each cell,
 * and fails for an operation this table does not list.
 */
export type Grant = 'any' | 'own';
export type Policy = 'public' | Partial<Record<Exclude<Role, 'PUBLIC'>, Grant>>;

const BUREAU_READS = { CLERK: 'any', ISSUER: 'any', ADMIN: 'any' } as const;
const APPLICANT_OR_WINDOW = { APPLICANT: 'own', CLERK: 'any' } as const;
const OWN_REVIEWER = { REVIEWER: 'own' } as const;
const ADMIN_ONLY = { ADMIN: 'any' } as const;
const STAFF = { CLERK: 'any', ISSUER: 'any', ADMIN: 'any', ANALYST: 'any', REVIEWER: 'any', INSPECTOR: 'any' } as const;

export const ACCESS_POLICY: Record<string, Policy> = {
  // The catalogue and guides are for everyone (一次告知).
  'Query.industries': 'public',
  'Query.industry': 'public',
  'Query.guide': 'public',
  'Query.applicationForm': 'public',
  'Query.calendarStatus': 'public',
  // Where each department is in the API (codes, root fields, types).
  'Query.departments': 'public',
  'Query.catalogueEditions': { ADMIN: 'any', ANALYST: 'any' },
  'Query.reformFigures': { ADMIN: 'any', ANALYST: 'any' },
  'Query.processingStatistics': { ADMIN: 'any', ANALYST: 'any' },
  // Applications: the applicant's own, the window, the bureau.
  'Query.application': { APPLICANT: 'own', ...BUREAU_READS },
  'Query.applications': { APPLICANT: 'own', ...BUREAU_READS },
  'Query.itemsDue': { CLERK: 'any', ISSUER: 'any', ADMIN: 'any' },
  'Query.notifications': APPLICANT_OR_WINDOW,
  'Query.heldMaterials': APPLICANT_OR_WINDOW,
  'Mutation.submitApplication': APPLICANT_OR_WINDOW,
  'Mutation.attachMaterial': APPLICANT_OR_WINDOW,
  'Mutation.supplementApplication': APPLICANT_OR_WINDOW,
  'Mutation.withdrawApplication': APPLICANT_OR_WINDOW,
  'Mutation.submitCorrection': APPLICANT_OR_WINDOW,
  'Mutation.resubmitItem': APPLICANT_OR_WINDOW,
  'Mutation.submitFaceChange': APPLICANT_OR_WINDOW,
  'Mutation.acceptApplication': { CLERK: 'any' },
  'Mutation.requestSupplement': { CLERK: 'any' },
  'Mutation.refuseAtIntake': { CLERK: 'any' },
  // The catalogue's editing and the calendar: admins.
  'Mutation.loadCatalogueFromRepository': ADMIN_ONLY,
  'Mutation.upsertCatalogueIndustry': ADMIN_ONLY,
  'Mutation.removeCatalogueIndustry': ADMIN_ONLY,
  'Mutation.upsertApprovalItem': ADMIN_ONLY,
  'Mutation.removeApprovalItem': ADMIN_ONLY,
  'Mutation.publishCatalogueEdition': ADMIN_ONLY,
  'Mutation.discardCatalogueDraft': ADMIN_ONLY,
  'Mutation.loadHolidaySchedule': ADMIN_ONLY,
  // The permit: its QR view is public (一码联动); its record, for the holder, the bureau and the deciding departments.
  'Query.scanPermit': 'public',
  'Query.verifyPermit': 'public',
  'Query.permitSigningKeys': 'public',
  'Query.permit': { APPLICANT: 'own', REVIEWER: 'own', ...BUREAU_READS },
  // The certificate is printed by its holder and the bureau; a department reads a permit, it does not print it.
  'Query.permitCertificate': { APPLICANT: 'own', ...BUREAU_READS },
  'Query.permitHistory': { APPLICANT: 'own', REVIEWER: 'own', ...BUREAU_READS },
  'Query.permitForApplication': { APPLICANT: 'own', ...BUREAU_READS },
  'Query.permitRequests': { ISSUER: 'any', ADMIN: 'any' },
  'Query.permitsAwaitingReissue': { ISSUER: 'any', ADMIN: 'any' },
  'Mutation.issuePermit': { ISSUER: 'any' },
  'Mutation.reissuePermit': { ISSUER: 'any' },
  'Mutation.recordPermitRecall': { ISSUER: 'any' },
  // Running the reform: the rollout board for the bureau and analysts, changed by admins; the work team's roster for all staff.
  'Query.permitsIssuedPerWeek': { CLERK: 'any', ISSUER: 'any', ADMIN: 'any', ANALYST: 'any' },
  'Query.rolloutBoard': { CLERK: 'any', ISSUER: 'any', ADMIN: 'any', ANALYST: 'any' },
  'Query.entrustments': { CLERK: 'any', ISSUER: 'any', ADMIN: 'any', ANALYST: 'any' },
  'Mutation.recordEntrustment': ADMIN_ONLY,
  'Mutation.changeRolloutStage': ADMIN_ONLY,
  'Query.workTeam': STAFF,
  'Query.workTeamContact': STAFF,
  'Mutation.publishWorkTeam': ADMIN_ONLY,
  // The electronic archive: the bureau reads a file's record; admins check the chain.
  'Query.archiveRecord': { CLERK: 'any', ISSUER: 'any', ADMIN: 'any' },
  'Query.archiveVerification': ADMIN_ONLY,
  // Supervision (事中事后监管): the checklists are published (一公开), as the guides are.
  'Query.checkPoints': 'public',
  'Mutation.publishSupervisionNotes': ADMIN_ONLY,
  // The register of permit holders (who may be drawn): the bureau's admins and analysts.
  'Query.supervisedPermits': { ADMIN: 'any', ANALYST: 'any' },
  // Inspector rosters (names): admins keep them; an inspector sees their own department's.
  'Query.inspectorRoster': { ADMIN: 'any', INSPECTOR: 'own' },
  'Mutation.setInspectorRoster': ADMIN_ONLY,
  // Plans are drawn by admins and published (一公开); inspectors' names only to admins and inspectors.
  'Mutation.drawInspectionPlan': ADMIN_ONLY,
  'Query.inspectionPlan': 'public',
  // 一查: the inspectors a plan drew record their department's points; each department sees its follow-ups.
  'Query.inspection': { ADMIN: 'any', INSPECTOR: 'own' },
  'Mutation.recordInspectionPoint': { INSPECTOR: 'own' },
  'Mutation.closeInspection': { INSPECTOR: 'own' },
  'Query.followUps': { ADMIN: 'any', REVIEWER: 'own', INSPECTOR: 'own' },
  'Query.inspectionsForPermit': { ADMIN: 'any', INSPECTOR: 'own' },
  // Evidence (photos of premises, records): the department owning the point and admins.
  'Query.evidenceFile': { ADMIN: 'any', REVIEWER: 'own', INSPECTOR: 'own' },
  // The owning department confirms a correction.
  'Mutation.recordCorrection': { REVIEWER: 'own', INSPECTOR: 'own' },
  // Co-governance: anyone reports against a permit code; the departments concerned read them (with the reporter's contact).
  'Mutation.submitComplaint': 'public',
  'Query.complaints': { ADMIN: 'any', REVIEWER: 'own', INSPECTOR: 'own' },
  // 一评: grades and figures for the bureau; an inspector may look a business's grade up on site.
  'Query.riskGrade': { ADMIN: 'any', ANALYST: 'any', INSPECTOR: 'any' },
  'Query.supervisionFigures': { ADMIN: 'any', ANALYST: 'any' },
  // Each department: its own reviewers work its items; its licences are public; their history is the holder's, the bureau's and its own.
  'department.Queries.reviews': OWN_REVIEWER,
  'department.Queries.review': OWN_REVIEWER,
  'department.Queries.verificationTasks': OWN_REVIEWER,
  'department.Queries.licence': 'public',
  'department.Queries.items': 'public',
  'department.Queries.licenceHistory': { APPLICANT: 'own', REVIEWER: 'own', ...BUREAU_READS },
  'department.Mutations.approve': OWN_REVIEWER,
  'department.Mutations.deny': OWN_REVIEWER,
  'department.Mutations.endLicence': OWN_REVIEWER,
  'department.Mutations.changeLicence': OWN_REVIEWER,
  'department.Mutations.requestCorrection': OWN_REVIEWER,
  'department.Mutations.scheduleInspection': OWN_REVIEWER,
  'department.Mutations.recordInspection': OWN_REVIEWER,
  'department.Mutations.recordVerification': OWN_REVIEWER,
};
