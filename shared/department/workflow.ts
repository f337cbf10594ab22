import type { Connection } from 'mongoose';
import { calendarFor, saveSchedule } from '../calendar-store';
import { itemClock } from '../clock';
import { invalidInput, notFound, platformError } from '../errors';
import { EventRefused, newEvent, outbox, type EventHandler } from '../events';
import { requireRole, type Identity } from '../identity';
import type { Logger } from '../logger';
import { itemIndex, department as departmentByCode, type Department } from '../registry';
import { type YearSchedule } from '../working-days';
import { beijingDate, beijingToday } from '../beijing-calendar';
import type { Review } from './review';
import { COMMITMENT_SYSTEM, DepartmentStore } from './store';
import type { ReviewView } from './resolvers';
import type { TemplateMutationsResolvers, TemplateQueriesResolvers, VerificationTask } from './__generated__/resolver-types';


/**
 * How a department works an item beyond approve and deny: a correction request
 * (pauses the clock; once per item unless the law allows more), a site
 * inspection where the item needs one, approval on the applicant's commitment
 * (告知承诺) with a verification task, the applicant's withdrawal, and the
 * working-day clock of its queue. Each is a step appended to the review's log.
 */
export function requireOwnReviewer(identity: Identity, department: Department): void {
  requireRole(identity, 'REVIEWER');
  if (identity.department !== department.code) {
    const theirs = departmentByCode(identity.department ?? '');
    throw platformError(
      'FORBIDDEN',
      `您属于${theirs?.nameZh ?? identity.department}，不能办理${department.nameZh}的事项`,
      `You belong to ${theirs?.nameEn ?? identity.department}; ${department.nameEn}'s items are not yours to decide`,
    );
  }
}

/** Why a review cannot be decided now, precisely. */
export function requirePending(review: Review): void {
  if (review.state === 'PENDING') return;
  const why: Record<string, [string, string]> = {
    APPROVED: ['该事项已准予许可，不能再次决定', 'This item has already been approved'],
    DENIED: ['该事项已不予许可，不能再次决定', 'This item has already been denied'],
    CORRECTION_REQUESTED: ['该事项正在等待申请人补正', "This item is waiting for the applicant's correction"],
    WITHDRAWN: ['申请人已撤回（或正在撤回）该申请', 'The applicant has withdrawn (or is withdrawing) this application'],
  };
  const [zh, en] = why[review.state];
  throw platformError('WRONG_STATE', zh, en, { field: 'reviewId' });
}

/** The review, or why this department cannot act on it. */
export async function requireReviewHere(store: DepartmentStore, reviewId: string): Promise<Review> {
  const department = store.department;
  const item = itemIndex().get(reviewId.split(':')[1] ?? '');
  if (item && item.department !== department.code) {
    const owner = departmentByCode(item.department)!;
    throw platformError(
      'FORBIDDEN',
      `事项「${item.nameZh}」由${owner.nameZh}审批，不属于${department.nameZh}`,
      `Item "${item.nameEn}" is decided by ${owner.nameEn}, not ${department.nameEn}`,
      { field: 'reviewId' },
    );
  }
  const review = await store.review(reviewId);
  if (!review) throw notFound({ zh: '审查记录', en: 'review' }, 'reviewId', reviewId);
  return review;
}

/** The clock of one review, for the queue. */
export async function reviewClock(db: Connection, department: Department, review: Review) {
  const item = department.items.find((i) => i.code === review.doc.itemCode);
  if (!item || review.state === 'WITHDRAWN') return null;
  return itemClock(await calendarFor(db), {
    acceptedDate: beijingDate(review.receivedAt),
    committedDays: item.committedDays,
    pauses: review.pauses,
    decidedDate: review.decidedAt ? beijingDate(review.decidedAt) : null,
    today: beijingToday(),
  });
}

function taskView(entry: Awaited<ReturnType<DepartmentStore['verificationTasks']>>[number]): VerificationTask {
  const { task, result } = entry;
  return {
    id: task._id,
    licenceId: task.licenceId,
    applicationId: task.applicationId,
    itemCode: task.itemCode,
    holderName: task.holderName,
    createdAt: task.createdAt.toISOString(),
    deadline: task.deadline,
    state: result ? (result.passed ? 'PASSED' : 'FAILED') : 'OPEN',
    recordedAt: result?.recordedAt.toISOString() ?? null,
    recordedBy: result?.recordedBy ?? null,
    notes: result?.notes ?? null,
  };
}

export function workflowResolvers(department: Department, view: (review: Review) => ReviewView): { queries: TemplateQueriesResolvers; mutations: TemplateMutationsResolvers } {
  return {
    queries: {
      verificationTasks: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const tasks = (await new DepartmentStore(ctx.db, department).verificationTasks()).map(taskView);
        return tasks.filter((t) => !args.state || t.state === args.state).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      },
    },
    mutations: {
      requestCorrection: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        await requireReviewHere(store, args.reviewId);
        const problems = args.problems.map((p) => p.trim()).filter(Boolean);
        if (!problems.length) throw invalidInput([{ path: 'problems', code: 'REQUIRED', messageZh: '请列明需补正的内容', messageEn: 'List what is to be corrected' }]);
        const { review } = await store.appendReviewStep(args.reviewId, (current) => {
          requirePending(current);
          const item = department.items.find((i) => i.code === current.doc.itemCode)!;
          const allowed = item.correctionsAllowed ?? 1;
          const n = current.corrections + 1;
          if (n > allowed) {
            throw platformError('WRONG_STATE', `本事项依法只能要求补正 ${allowed} 次`, `The law allows ${allowed} correction request(s) for this item`, { field: 'reviewId' });
          }
          // The clock stands still from today until the correction arrives.
          const from = beijingToday();
          const correctionId = `${current.id}#${current.round}#c${n}`;
          return {
            kind: 'CORRECTION_REQUESTED',
            round: current.round,
            at: new Date(),
            by: ctx.identity.subject,
            problems,
            from,
            correctionId,
            ...outbox([
              newEvent('ItemCorrectionRequested', department.code, 'applications', { applicationId: current.doc.applicationId, itemCode: current.doc.itemCode, problems, from, correctionId }, `ItemCorrectionRequested:${correctionId}`),
            ]),
          };
        });
        ctx.kickOutbox();
        return view(review);
      },
      scheduleInspection: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        await requireReviewHere(store, args.reviewId);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(args.date) || Number.isNaN(Date.parse(args.date)) || args.date < beijingToday()) {
          throw invalidInput([{ path: 'date', code: 'INVALID_DATE', messageZh: '核查日期须为今天或以后的日期（YYYY-MM-DD）', messageEn: 'The inspection date must be today or later (YYYY-MM-DD)' }]);
        }
        const { review } = await store.appendReviewStep(args.reviewId, (current) => {
          requirePending(current);
          if (!department.items.find((i) => i.code === current.doc.itemCode)?.siteInspection) {
            throw platformError('WRONG_STATE', '本事项无需现场核查', 'This item needs no site inspection', { field: 'reviewId' });
          }
          return { kind: 'INSPECTION_SCHEDULED', round: current.round, at: new Date(), by: ctx.identity.subject, date: args.date };
        });
        return view(review);
      },
      recordInspection: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        await requireReviewHere(store, args.reviewId);
        if (!args.notes.trim()) throw invalidInput([{ path: 'notes', code: 'REQUIRED', messageZh: '请记录核查情况', messageEn: 'Record what the inspection found' }]);
        const { review } = await store.appendReviewStep(args.reviewId, (current) => {
          requirePending(current);
          if (!current.inspection?.scheduledFor) {
            throw platformError('WRONG_STATE', '请先安排现场核查', 'Schedule the site inspection first', { field: 'reviewId' });
          }
          return { kind: 'INSPECTION_RECORDED', round: current.round, at: new Date(), by: ctx.identity.subject, passed: args.passed, notes: args.notes.trim() };
        });
        return view(review);
      },
      recordVerification: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const entry = await store.verificationTask(args.reviewId);
        if (!entry) throw notFound({ zh: '核查任务', en: 'verification task' }, 'reviewId', args.reviewId);
        if (!args.notes.trim()) throw invalidInput([{ path: 'notes', code: 'REQUIRED', messageZh: '请记录核查情况', messageEn: 'Record what the verification found' }]);
        const already = () => platformError('WRONG_STATE', '该核查已有结论', 'This verification has already been recorded', { field: 'reviewId' });
        if (entry.result) throw already();
        const result = await store.recordVerification(entry.task, args.passed, args.notes.trim(), ctx.identity.subject);
        if (!result) throw already();
        ctx.kickOutbox();
        return taskView({ task: entry.task, result });
      },
    },
  };
}

interface DispatchPayload {
  applicationId: string;
  applicationNumber: string;
  itemCode: string;
  holder: { companyName: string; creditCode: string };
  values: Record<string, unknown>;
  dispatchedAt: string;
  round?: number;
  commitment?: boolean;
}

/** A department's event handlers: dispatches, withdrawals, corrections, face changes, calendars. */
export function departmentEventHandlers(db: Connection, department: Department, log: Logger, kick: () => void): Record<string, EventHandler> {
  const store = new DepartmentStore(db, department);
  return {
    /** An item dispatched by the window (round 1), or handed in again after a denial (a later round). */
    ItemDispatched: async (event) => {
      const p = event.payload as unknown as DispatchPayload;
      if (!department.items.some((i) => i.code === p.itemCode)) throw new EventRefused(`${p.itemCode} is not decided by ${department.code}`);
      const reviewId = `${p.applicationId}:${p.itemCode}`;
      const round = p.round ?? 1;
      await store.openReview({
        _id: reviewId,
        applicationId: p.applicationId,
        applicationNumber: p.applicationNumber,
        itemCode: p.itemCode,
        holder: p.holder,
        values: p.values,
        receivedAt: new Date(p.dispatchedAt),
        commitment: Boolean(p.commitment),
      });
      if (round > 1) {
        await store.appendReviewStep(reviewId, (review) =>
          review.round >= round || review.state !== 'DENIED' ? null : { kind: 'REDISPATCHED', round, at: new Date(), by: 'applications', values: p.values, receivedAt: new Date(p.dispatchedAt) },
        );
      }
      if (p.commitment && round === 1) {
        await approveOnCommitment(db, department, reviewId, log);
        kick();
      }
    },
    /**
     * The applicant asks to withdraw: the review is held (WITHDRAWN) unless it
     * was decided first, in which case the decision's own event answers. The
     * hold and a reviewer's decision compete for the same step, so exactly one wins.
     */
    WithdrawalRequested: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; attempt: string };
      const reviewId = `${p.applicationId}:${p.itemCode}`;
      // Not here yet: the dispatch is on its way (it was written first); answering 500 makes the relay bring this again.
      if (!(await store.review(reviewId))) throw new Error(`review ${reviewId} not dispatched here yet`);
      const { step } = await store.appendReviewStep(reviewId, (review) => {
        if (review.heldBy === p.attempt) return null;
        if (review.heldBy) throw new Error(`review ${reviewId} is held by another withdrawal (${review.heldBy})`);
        if (review.state !== 'PENDING' && review.state !== 'CORRECTION_REQUESTED') return null;
        return {
          kind: 'WITHDRAWAL_HELD',
          round: review.round,
          at: new Date(),
          by: 'applicant',
          attempt: p.attempt,
          ...outbox([newEvent('ItemWithdrawalHeld', department.code, 'applications', { applicationId: p.applicationId, itemCode: p.itemCode, attempt: p.attempt }, `ItemWithdrawalHeld:${reviewId}:${p.attempt}`)]),
        };
      });
      if (step) kick();
    },
    /** The withdrawal failed (another item was decided first): the held review goes back to where it was. */
    WithdrawalReleased: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; attempt: string };
      const reviewId = `${p.applicationId}:${p.itemCode}`;
      if (!(await store.review(reviewId))) return;
      await store.appendReviewStep(reviewId, (review) =>
        review.heldBy === p.attempt ? { kind: 'WITHDRAWAL_RELEASED', round: review.round, at: new Date(), by: 'applications', attempt: p.attempt } : null,
      );
    },
    /** The applicant's correction: the review is back with the department and its clock runs again. */
    ItemCorrected: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; values: Record<string, unknown>; to: string; correctionId?: string };
      const reviewId = `${p.applicationId}:${p.itemCode}`;
      await store.appendReviewStep(reviewId, (review) =>
        review.state === 'CORRECTION_REQUESTED' && (!p.correctionId || review.openCorrectionId === p.correctionId)
          ? { kind: 'CORRECTED', round: review.round, at: new Date(), by: 'applicant', values: p.values, to: p.to, correctionId: review.openCorrectionId! }
          : null,
      );
    },
    /** The bureau loaded a year's official holiday schedule: keep a copy for this department's clocks. */
    CalendarScheduleLoaded: async (event) => {
      const p = event.payload as { schedule: YearSchedule; by: string };
      await saveSchedule(db, p.schedule, p.by, { id: event.id });
      log.info({ year: p.schedule.year }, 'holiday schedule loaded');
    },
    /** A face change (name, legal representative, address) applied to this department's licences of the application. */
    LicenceFaceChanged: async (event) => {
      const p = event.payload as {
        applicationId: string;
        changeId: string;
        licenceIds: string[];
        holder: { companyName?: string; legalRepresentative?: string; businessAddress?: string };
        requestedBy: { role: string; subject: string };
        reason: string;
      };
      await store.applyFaceChange(p.applicationId, p.licenceIds ?? [], p.changeId, p.holder, p.requestedBy, p.reason);
    },
  };
}

/** Approves an item on the applicant's commitment at once, with its verification task. */
export async function approveOnCommitment(db: Connection, department: Department, reviewId: string, log: Logger): Promise<void> {
  const store = new DepartmentStore(db, department);
  const item = department.items.find((i) => i.code === reviewId.split(':')[1]);
  // A department never approves a commitment the law excludes (the window checks this too).
  if (!item?.commitmentAllowed) return;
  let deadline: string | null = null;
  try {
    deadline = (await calendarFor(db)).addWorkingDays(beijingToday(), item.verificationDays ?? 20);
  } catch (error) {
    // A year without a loaded schedule leaves the deadline open; the queue flags it.
    log.warn({ err: String(error) }, 'verification deadline unknown: holiday schedule missing');
  }
  const { step } = await store.appendReviewStep(reviewId, (current) =>
    current.state === 'PENDING' && current.doc.commitment && current.round === 1
      ? store.decisionStep(current, 'APPROVED', COMMITMENT_SYSTEM, [], { comment: "告知承诺审批 / approved on the applicant's commitment", onCommitment: true, verificationDeadline: deadline })
      : null,
  );
  if (step) log.info({ reviewId, deadline }, 'approved on commitment; verification task open');
}
