import type { Answers } from '../../shared/catalogue';
import type { OutboxFields } from '../../shared/events';
import type { RequestKey } from '../../shared/idempotency';

/**
 * An application as its records: the submission (`applications`, written once)
 * and its log (`application_steps`, id `<applicationId>#<seq>`), one step per
 * thing that happened to it: a material attached, acceptance, the supplement
 * notice and the supplement, refusal, withdrawal, each item's decision, a
 * correction asked and given, a denied item handed in again, a face change.
 * What the application is now is the fold of its log (`foldApplication`).
 *
 * Each step is appended from the state it was decided on, so two of them can
 * never both happen from one state: a supplement and a withdrawal at the same
 * moment compete for the same step, and one of them is refused. A step that
 * settles the application (the last item decided, the last department
 * holding for a withdrawal) says so itself, so nothing can happen in between.
 *
 *   SUBMITTED ──ACCEPTED──► ACCEPTED ──(every item decided)──► DECIDED
 *       │ └SUPPLEMENT_REQUESTED─► SUPPLEMENT_REQUESTED ──SUPPLEMENTED──► SUBMITTED (stage 2)
 *       └─REFUSED / WITHDRAWN (from SUBMITTED or SUPPLEMENT_REQUESTED)
 *   ACCEPTED ──WITHDRAWAL_REQUESTED──► WITHDRAWING ──(every department holds)──► WITHDRAWN
 *                                           └──(an item decided first)──► ACCEPTED
 *
 * Withdrawing an accepted application asks every department to hold its review
 * (the hold and a reviewer's decision compete for the same step of the review):
 * if every department holds, the withdrawal succeeds; if any item was decided
 * first, it fails and the holds are released. Either way for the whole application.
 */
export type ApplicationStatus = 'SUBMITTED' | 'SUPPLEMENT_REQUESTED' | 'ACCEPTED' | 'WITHDRAWING' | 'DECIDED' | 'REFUSED' | 'WITHDRAWN';

export interface SupplementProblem {
  /** A material code, a form field key, or `other`. */
  target: string;
  kind: 'MATERIAL' | 'FIELD' | 'OTHER';
  messageZh: string;
  messageEn: string;
}

export interface SupplementNotice {
  noticedAt: Date;
  deadline: string;
  by: string;
  problems: SupplementProblem[];
}

export interface ApplicationItemDoc {
  itemCode: string;
  departmentCode: string;
}

/** The submission, as made; never changed. */
export interface ApplicationDoc {
  _id: string;
  number: string;
  industryCode: string;
  /** The catalogue edition the application was made under (pinned). */
  edition: string;
  channel: 'ONLINE' | 'WINDOW' | 'CITY';
  submittedBy: string;
  /** Handed over by the city's unified intake (京通): its reference and what it handed over (city-intake.ts). */
  city?: { referenceNumber: string; matterCode: string; submittedAt: string; contentHash: string };
  submittedByClerk?: string;
  creditCode: string;
  holderName: string;
  answers: Answers;
  values: Record<string, unknown>;
  items: ApplicationItemDoc[];
  submittedAt: Date;
  /** Items the applicant commits on (告知承诺) instead of some materials. */
  commitments: string[];
  /** The caller's idempotency key and input, when it was submitted with one. */
  request?: RequestKey;
}

export interface Material {
  materialCode: string;
  /** Uploaded; referenced by the applicant (an earlier upload, the e-licence); or fetched from the source holding it at acceptance. */
  source: 'UPLOAD' | 'HELD' | 'FETCHED';
  /** The source a fetched material came from (held-sources.ts). */
  fetchedFrom?: string;
  /** For uploads: the file's SHA-256; for fetched ones, the SHA-256 of the record the source returned; for held materials: the holding's reference. */
  sha256: string | null;
  reference: string | null;
  size: number | null;
  mediaType: string | null;
  name: string;
  attachedAt: Date;
  attachedBy: string;
}

/** An item's outcome as the department decided it (from `ItemDecided`). */
export interface ItemOutcome {
  itemCode: string;
  round: number;
  decision: 'APPROVED' | 'DENIED';
  reasons: string[];
  decidedAt: Date;
  licenceId: string | null;
  licenceType: string | null;
  /** The review's clock pauses (correction requests), for processing-time statistics. */
  pauses: { from: string; to: string | null }[];
  onCommitment: boolean;
}

export interface FaceChange {
  changeId: string;
  changes: { companyName?: string; legalRepresentative?: string; businessAddress?: string };
  reason: string;
}

/** How a step settles the application, when it is the one that completes something. */
export type Settlement = 'DECIDED' | 'WITHDRAWN' | 'WITHDRAWAL_FAILED';

interface StepCommon extends Partial<OutboxFields> {
  _id: string;
  applicationId: string;
  seq: number;
  at: Date;
  by: string;
  /** What this step completes, in order (the last item decided while withdrawing: the withdrawal fails, and the application is decided). */
  settles?: Settlement[];
  /** What the applicant is told of this step; written by the step's completion. */
  notification?: { key: string; creditCode: string; text: { kind: string; titleZh: string; titleEn: string; bodyZh: string; bodyEn: string } };
  /** The caller's idempotency key and input, when the step was asked for with one. */
  request?: RequestKey;
}

export type ApplicationStep = StepCommon &
  (
    | { kind: 'MATERIAL_ATTACHED'; material: Material }
    | { kind: 'ACCEPTED'; fetched?: Material[]; dispatched?: string[] }
    | { kind: 'SUPPLEMENT_REQUESTED'; notice: SupplementNotice }
    | { kind: 'SUPPLEMENTED'; values: Record<string, unknown> }
    | { kind: 'REFUSED'; reasons: string[] }
    | { kind: 'WITHDRAWN'; reason: string }
    | { kind: 'WITHDRAWAL_REQUESTED'; reason: string }
    | { kind: 'ITEM_HELD'; itemCode: string; attempt: string }
    | { kind: 'ITEM_DECIDED'; outcome: ItemOutcome; released?: string[] }
    | { kind: 'CORRECTION_REQUESTED'; itemCode: string; correctionId: string; problems: string[]; from: string }
    | { kind: 'CORRECTED'; itemCode: string; correctionId: string; values: Record<string, unknown>; to: string }
    | { kind: 'RESUBMITTED'; itemCode: string; round: number; values: Record<string, unknown> }
    | ({ kind: 'FACE_CHANGED' } & FaceChange)
  );

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewApplicationStep = DistributiveOmit<ApplicationStep, '_id' | 'applicationId' | 'seq'>;

/** The application as its records say it stands now. */
export interface Application {
  doc: ApplicationDoc;
  id: string;
  seq: number;
  status: ApplicationStatus;
  /** Submitted values, with the supplement, corrections and face changes applied in order. */
  values: Record<string, unknown>;
  holderName: string;
  /** The latest attachment of each material (fixed from acceptance on). */
  materials: Map<string, Material>;
  acceptedAt?: Date;
  acceptedBy?: string;
  supplementNotice?: SupplementNotice;
  supplementedAt?: Date;
  refusal?: { at: Date; by: string; reasons: string[] };
  withdrawal?: { at: Date; by: string; reason: string };
  /** The withdrawal in progress (its step id), while WITHDRAWING, and the items held for it. */
  withdrawalAttempt?: string;
  held: Set<string>;
  /** A withdrawal that failed because an item was decided first. */
  failedWithdrawal?: { at: Date; decidedItem: string };
  /** When each item was sent to its department: at acceptance, or once the items it waits for were approved. */
  dispatchedAt: Map<string, Date>;
  /** Each item's latest outcome, and its latest resubmission. */
  outcomes: Map<string, ItemOutcome>;
  resubmissions: Map<string, { round: number; at: Date }>;
  /** Each item's clock pauses: a correction request stops it, the correction restarts it. */
  pauses: Map<string, { from: string; to: string | null; correctionId: string }[]>;
  faceChanges: FaceChange[];
  steps: ApplicationStep[];
}

export function foldApplication(doc: ApplicationDoc, steps: ApplicationStep[]): Application {
  const app: Application = {
    doc,
    id: doc._id,
    seq: 0,
    status: 'SUBMITTED',
    values: doc.values,
    holderName: doc.holderName,
    materials: new Map(),
    held: new Set(),
    dispatchedAt: new Map(),
    outcomes: new Map(),
    resubmissions: new Map(),
    pauses: new Map(),
    faceChanges: [],
    steps: [...steps].sort((a, b) => a.seq - b.seq),
  };
  for (const step of app.steps) {
    app.seq = step.seq;
    switch (step.kind) {
      case 'MATERIAL_ATTACHED':
        app.materials.set(step.material.materialCode, step.material);
        break;
      case 'ACCEPTED':
        Object.assign(app, { status: 'ACCEPTED', acceptedAt: step.at, acceptedBy: step.by });
        for (const material of step.fetched ?? []) app.materials.set(material.materialCode, material);
        // Records from before dispatch order name no list: every item went at once.
        for (const itemCode of step.dispatched ?? doc.items.map((i) => i.itemCode)) app.dispatchedAt.set(itemCode, step.at);
        break;
      case 'SUPPLEMENT_REQUESTED':
        Object.assign(app, { status: 'SUPPLEMENT_REQUESTED', supplementNotice: step.notice });
        break;
      case 'SUPPLEMENTED':
        Object.assign(app, { status: 'SUBMITTED', supplementedAt: step.at, values: { ...app.values, ...step.values } });
        break;
      case 'REFUSED':
        Object.assign(app, { status: 'REFUSED', refusal: { at: step.at, by: step.by, reasons: step.reasons } });
        break;
      case 'WITHDRAWN':
        Object.assign(app, { status: 'WITHDRAWN', withdrawal: { at: step.at, by: step.by, reason: step.reason } });
        break;
      case 'WITHDRAWAL_REQUESTED':
        Object.assign(app, { status: 'WITHDRAWING', withdrawalAttempt: step._id, withdrawal: { at: step.at, by: step.by, reason: step.reason }, held: new Set() });
        break;
      case 'ITEM_HELD':
        if (step.attempt === app.withdrawalAttempt) app.held.add(step.itemCode);
        break;
      case 'ITEM_DECIDED':
        app.outcomes.set(step.outcome.itemCode, step.outcome);
        for (const itemCode of step.released ?? []) app.dispatchedAt.set(itemCode, step.at);
        break;
      case 'CORRECTION_REQUESTED':
        app.pauses.set(step.itemCode, [...(app.pauses.get(step.itemCode) ?? []), { from: step.from, to: null, correctionId: step.correctionId }]);
        break;
      case 'CORRECTED':
        app.pauses.set(step.itemCode, (app.pauses.get(step.itemCode) ?? []).map((p) => (p.correctionId === step.correctionId ? { ...p, to: step.to } : p)));
        app.values = { ...app.values, ...step.values };
        break;
      case 'RESUBMITTED':
        app.resubmissions.set(step.itemCode, { round: step.round, at: step.at });
        break;
      case 'FACE_CHANGED':
        app.faceChanges.push({ changeId: step.changeId, changes: step.changes, reason: step.reason });
        app.values = { ...app.values, ...step.changes };
        if (step.changes.companyName) app.holderName = step.changes.companyName;
        break;
    }
    // The step that completes something says so, so the application moves on with it.
    for (const settlement of step.settles ?? []) {
      if (settlement === 'WITHDRAWAL_FAILED') {
        const decidedItem = step.kind === 'ITEM_DECIDED' ? step.outcome.itemCode : '';
        Object.assign(app, { status: 'ACCEPTED', failedWithdrawal: { at: step.at, decidedItem } });
        delete app.withdrawal;
      } else app.status = settlement;
      delete app.withdrawalAttempt;
    }
  }
  return app;
}

/** The items of this application an item waits for (its `decidedAfter` that the application has). */
export function prerequisitesOf(app: Application, catalogue: { item(code: string): { decidedAfter?: string[] } }, itemCode: string): string[] {
  return (catalogue.item(itemCode).decidedAfter ?? []).filter((code) => app.doc.items.some((i) => i.itemCode === code));
}

/** Items that can no longer be dispatched: an item they wait for was denied (or is itself blocked). */
export function blockedItems(app: Application, catalogue: { item(code: string): { decidedAfter?: string[] } }, outcomes: Map<string, ItemOutcome> = app.outcomes): Set<string> {
  const blocked = new Set<string>();
  const isBlocked = (code: string, seen: Set<string>): boolean => {
    if (outcomes.has(code) || app.dispatchedAt.has(code) || seen.has(code)) return false;
    return prerequisitesOf(app, catalogue, code).some((pre) => outcomes.get(pre)?.decision === 'DENIED' || isBlocked(pre, new Set(seen).add(code)));
  };
  for (const entry of app.doc.items) if (isBlocked(entry.itemCode, new Set())) blocked.add(entry.itemCode);
  return blocked;
}

/** The items still to be decided (no outcome yet). */
export function undecidedItems(app: Application): ApplicationItemDoc[] {
  return app.doc.items.filter((i) => !app.outcomes.has(i.itemCode));
}
