import { z } from 'zod';

/**
 * The events between services, as a contract both ends use: every event type,
 * who may send it (`from`), who receives it (`to`), and the schema of its
 * payload. `newEvent` only builds what the contract describes, and the inbox
 * refuses (HTTP 422, parked in the sender's dead letters) an unknown type, a
 * sender not allowed to send it, or a payload that does not fit. A receiver
 * then checks that the sender owns what the event is about (the department
 * that issued a licence ends it; the department an item was dispatched to
 * decides it) — see each handler's `requireOwner`.
 *
 * `DEPARTMENT` stands for any department subgraph (the registry's).
 */
export const DEPARTMENT = 'department';
type Party = 'applications' | 'permit' | 'supervision' | typeof DEPARTMENT;

const text = z.string().max(2000);
const id = z.string().min(1).max(200);
const isoTime = z.string().max(40);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const values = z.record(z.string().max(200), z.unknown());
const pause = z.object({ from: date, to: date.nullable() });
const holder = z.object({ companyName: text, creditCode: text, legalRepresentative: text.nullable().optional(), businessAddress: text.nullable().optional() });
const faceChanges = z.object({ companyName: text.optional(), legalRepresentative: text.optional(), businessAddress: text.optional() });
const actor = z.object({ role: text, subject: text });
const remedy = z.object({ reconsiderationZh: text, reconsiderationEn: text, courtZh: text, courtEn: text, deadlineNoteZh: text.optional(), deadlineNoteEn: text.optional() });
const permitItem = z.object({
  itemCode: id,
  itemNameZh: text,
  itemNameEn: text,
  departmentCode: id,
  departmentNameZh: text,
  departmentNameEn: text,
  licenceType: text,
  licenceId: id.nullable(),
  permitted: z.boolean(),
  reasons: z.array(text).max(50),
  round: z.number().int().positive().optional(),
  remedy,
});
const ending = z.enum(['CANCELLED', 'LAPSED', 'WITHDRAWN', 'ANNULLED', 'REVOKED']);
const schedule = z.object({ year: z.number().int(), holidays: z.array(date).max(400), workdays: z.array(date).max(400), source: text });

function event<P extends z.ZodType>(from: Party[], to: Party[], payload: P) {
  return { from, to, payload };
}

export const EVENT_CONTRACT = {
  /** The window accepted an application (or a denied item was handed in again): the item goes to its department. */
  ItemDispatched: event(['applications'], [DEPARTMENT], z.object({ applicationId: id, applicationNumber: text, itemCode: id, holder, values, dispatchedAt: isoTime, commitment: z.boolean().optional(), round: z.number().int().positive().optional() })),
  /** A department decided an item. */
  ItemDecided: event(['department'], ['applications'], z.object({
    applicationId: id,
    itemCode: id,
    departmentCode: id,
    decision: z.enum(['APPROVED', 'DENIED']),
    reasons: z.array(text).max(50),
    decidedAt: isoTime,
    receivedAt: isoTime,
    pauses: z.array(pause).max(50),
    onCommitment: z.boolean(),
    licenceId: id.nullable(),
    licenceType: text.nullable(),
    round: z.number().int().positive(),
  })),
  /** Every item of an application is decided: what the permit will say. */
  ApplicationDecided: event(['applications'], ['permit'], z.object({ applicationId: id, applicationNumber: text, industryCode: id, industryNameZh: text, industryNameEn: text, holder, items: z.array(permitItem).min(1).max(50) })),
  /** A licence ended (注销、失效、撤回、撤销、吊销): the permit listing it is void. */
  LicenceEnded: event(['department'], ['permit'], z.object({ licenceId: id, applicationId: id, licenceType: text, itemCode: id, departmentCode: id, ending, reason: text, endedAt: isoTime })),
  /** An item was decided again after the application was (a resubmitted item). */
  ItemOutcomeChanged: event(['applications'], ['permit'], z.object({ applicationId: id, item: permitItem })),
  /** The applicant asks to withdraw: hold the review unless it is decided. */
  WithdrawalRequested: event(['applications'], [DEPARTMENT], z.object({ applicationId: id, itemCode: id, attempt: id, reason: text })),
  /** A department holds its review for the withdrawal. */
  ItemWithdrawalHeld: event(['department'], ['applications'], z.object({ applicationId: id, itemCode: id, attempt: id })),
  /** The withdrawal failed: let the hold go. */
  WithdrawalReleased: event(['applications'], [DEPARTMENT], z.object({ applicationId: id, itemCode: id, attempt: id })),
  /** A department asks the applicant for a correction (the item's clock stops). */
  ItemCorrectionRequested: event(['department'], ['applications'], z.object({ applicationId: id, itemCode: id, problems: z.array(text).min(1).max(50), from: date, correctionId: id })),
  /** The applicant's correction (the item's clock runs again). */
  ItemCorrected: event(['applications'], [DEPARTMENT], z.object({ applicationId: id, itemCode: id, values, to: date, correctionId: id })),
  /** A face change reaches the licences of one department. */
  LicenceFaceChanged: event(['applications'], [DEPARTMENT], z.object({ applicationId: id, changeId: id, holder: faceChanges, requestedBy: actor, reason: text, licenceIds: z.array(id).max(50) })),
  /** A face change reaches the permit, which is re-issued. */
  PermitFaceChanged: event(['applications'], ['permit'], z.object({ applicationId: id, changeId: id, holder: faceChanges, requestedBy: actor, reason: text, n: z.number().int().positive() })),
  /** An official holiday schedule was loaded: each department keeps a copy. */
  CalendarScheduleLoaded: event(['applications'], [DEPARTMENT], z.object({ schedule, by: text })),
  /** A permit version was issued: the applicant is told. */
  PermitIssued: event(['permit'], ['applications'], z.object({ applicationId: id, code: id, version: z.number().int().positive(), permitId: id })),
  /**
   * A permit version was issued: supervision registers the business among the
   * industry's permit holders (the population of the random draw). Only what
   * supervision needs: the company's name and credit code, no person's data.
   */
  PermitListed: event(['permit'], ['supervision'], z.object({
    permitId: id,
    applicationId: id,
    code: id,
    version: z.number().int().positive(),
    industryCode: id,
    holder: z.object({ companyName: text, creditCode: text }),
    items: z.array(z.object({ itemCode: id, departmentCode: id, permitted: z.boolean(), licenceId: id.nullable() })).min(1).max(50),
    issuedAt: isoTime,
    supersedes: id.optional(),
  })),
  /**
   * A permit version became void (a licence on it ended): supervision no longer
   * draws it. How and by whom, not the department's own words (they may name people).
   */
  PermitVoided: event(['permit'], ['supervision'], z.object({ permitId: id, applicationId: id, industryCode: id, licenceId: id, departmentCode: id, ending, at: isoTime })),
} as const;

export type EventType = keyof typeof EVENT_CONTRACT;
export type EventPayload<T extends EventType> = z.infer<(typeof EVENT_CONTRACT)[T]['payload']>;

/** Whether `service` (a department code, or a named service) plays `party`. */
function plays(service: string, party: Party, isDepartment: (code: string) => boolean): boolean {
  return party === DEPARTMENT ? isDepartment(service) : service === party;
}

/** Why the contract refuses an event, or null when it fits. */
export function contractProblem(
  event: { type: string; source: string; destination: string; payload: unknown },
  isDepartment: (code: string) => boolean,
): string | null {
  const contract = (EVENT_CONTRACT as Record<string, { from: Party[]; to: Party[]; payload: z.ZodType } | undefined>)[event.type];
  if (!contract) return `unknown event type ${event.type}`;
  if (!contract.from.some((p) => plays(event.source, p, isDepartment))) return `${event.source} may not send ${event.type}`;
  if (!contract.to.some((p) => plays(event.destination, p, isDepartment))) return `${event.type} is not for ${event.destination}`;
  const parsed = contract.payload.safeParse(event.payload);
  if (!parsed.success) return `malformed ${event.type}: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  return null;
}

/** Thrown by a handler when the sender does not own what the event is about: refused for good (422, parked). */
export class EventRefused extends Error {}
