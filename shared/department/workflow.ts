import type { Connection } from 'mongoose';
import { calendarFor, saveSchedule } from '../calendar-store';
import { isDuplicateKey } from '../db';
import { itemClock } from '../clock';
import { invalidInput, notFound, platformError } from '../errors';
import { newEvent, type EventHandler } from '../events';
import { requireRole, type Identity } from '../identity';
import type { Logger } from '../logger';
import { department as departmentByCode, type Department } from '../registry';
import type { SubgraphContext } from '../subgraph-server';
import { beijingDate, type YearSchedule } from '../working-days';
import { COMMITMENT_SYSTEM, DepartmentStore, type ReviewDoc, type VerificationTaskDoc } from './store';

type Ctx = SubgraphContext;

/**
 * How a department works an item beyond approve and deny: a correction request
 * (pauses the clock; once per item unless the law allows more), a site
 * inspection where the item needs one, approval on the applicant's commitment
 * (告知承诺) with a verification task, and the working-day clock of its queue.
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

async function requireReview(store: DepartmentStore, reviewId: string): Promise<ReviewDoc> {
  const review = await store.reviews.findOne({ _id: reviewId });
  if (!review) throw notFound({ zh: '审查记录', en: 'review' }, 'reviewId', reviewId);
  return review;
}

function requireState(review: ReviewDoc, state: ReviewDoc['state']) {
  if (review.state !== state) {
    throw platformError('WRONG_STATE', `该事项当前状态为 ${review.state}，不能办理此操作`, `Not possible while the item is ${review.state}`, { field: 'reviewId' });
  }
}

/** The clock of one review, for the queue. */
export async function reviewClock(db: Connection, department: Department, review: ReviewDoc) {
  const item = department.items.find((i) => i.code === review.itemCode);
  if (!item || review.state === 'WITHDRAWN') return null;
  return itemClock(await calendarFor(db), {
    acceptedDate: beijingDate(review.receivedAt),
    committedDays: item.committedDays,
    pauses: review.pauses ?? [],
    decidedDate: review.decidedAt ? beijingDate(review.decidedAt) : null,
    today: beijingDate(new Date()),
  });
}

function taskView(task: VerificationTaskDoc) {
  return {
    ...task,
    id: task._id,
    createdAt: task.createdAt.toISOString(),
    recordedAt: task.recordedAt?.toISOString() ?? null,
    recordedBy: task.recordedBy ?? null,
    notes: task.notes ?? null,
  };
}

export function workflowResolvers(department: Department, view: (doc: ReviewDoc) => unknown) {
  return {
    queries: {
      verificationTasks: async (_: unknown, args: { state?: VerificationTaskDoc['state'] }, ctx: Ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const tasks = await new DepartmentStore(ctx.db, department).verifications.find(args.state ? { state: args.state } : {}).sort({ createdAt: 1 }).toArray();
        return tasks.map(taskView);
      },
    },
    mutations: {
      requestCorrection: async (_: unknown, args: { reviewId: string; problems: string[] }, ctx: Ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const review = await requireReview(store, args.reviewId);
        requireState(review, 'PENDING');
        const problems = args.problems.map((p) => p.trim()).filter(Boolean);
        if (!problems.length) throw invalidInput([{ path: 'problems', code: 'REQUIRED', messageZh: '请列明需补正的内容', messageEn: 'List what is to be corrected' }]);
        const item = department.items.find((i) => i.code === review.itemCode)!;
        const allowed = item.correctionsAllowed ?? 1;
        const n = (review.corrections ?? 0) + 1;
        if (n > allowed) {
          throw platformError('WRONG_STATE', `本事项依法只能要求补正 ${allowed} 次`, `The law allows ${allowed} correction request(s) for this item`, { field: 'reviewId' });
        }
        const today = beijingDate(new Date());
        const claimId = `${review._id}#${review.round ?? 1}#c${n}`;
        try {
          await store.corrections.insertOne({
            _id: claimId,
            reviewId: review._id,
            problems,
            requestedAt: new Date(),
            requestedBy: ctx.identity.subject,
            _outbox: [
              newEvent('ItemCorrectionRequested', department.code, 'applications', { applicationId: review.applicationId, itemCode: review.itemCode, problems, from: today, correctionId: claimId }, `ItemCorrectionRequested:${claimId}`),
            ],
          });
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          throw platformError('CONFLICT', '另一位审批人员刚刚已要求补正', 'Another reviewer has just asked for a correction', { field: 'reviewId' });
        }
        // The clock stands still from today until the correction arrives.
        await store.reviews.updateOne(
          { _id: review._id },
          { $set: { state: 'CORRECTION_REQUESTED', corrections: n, correctionProblems: problems, pauses: [...(review.pauses ?? []), { from: today, to: null }] } },
        );
        ctx.kickOutbox();
        return view((await store.reviews.findOne({ _id: review._id }))!);
      },
      scheduleInspection: async (_: unknown, args: { reviewId: string; date: string }, ctx: Ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const review = await requireReview(store, args.reviewId);
        requireState(review, 'PENDING');
        if (!department.items.find((i) => i.code === review.itemCode)?.siteInspection) {
          throw platformError('WRONG_STATE', '本事项无需现场核查', 'This item needs no site inspection', { field: 'reviewId' });
        }
        if (!/^\d{4}-\d{2}-\d{2}$/.test(args.date) || Number.isNaN(Date.parse(args.date)) || args.date < beijingDate(new Date())) {
          throw invalidInput([{ path: 'date', code: 'INVALID_DATE', messageZh: '核查日期须为今天或以后的日期（YYYY-MM-DD）', messageEn: 'The inspection date must be today or later (YYYY-MM-DD)' }]);
        }
        await store.reviews.updateOne({ _id: review._id }, { $set: { inspection: { scheduledFor: args.date, scheduledBy: ctx.identity.subject } } });
        return view((await store.reviews.findOne({ _id: review._id }))!);
      },
      recordInspection: async (_: unknown, args: { reviewId: string; passed: boolean; notes: string }, ctx: Ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const review = await requireReview(store, args.reviewId);
        requireState(review, 'PENDING');
        if (!review.inspection?.scheduledFor) {
          throw platformError('WRONG_STATE', '请先安排现场核查', 'Schedule the site inspection first', { field: 'reviewId' });
        }
        if (!args.notes.trim()) throw invalidInput([{ path: 'notes', code: 'REQUIRED', messageZh: '请记录核查情况', messageEn: 'Record what the inspection found' }]);
        await store.reviews.updateOne(
          { _id: review._id },
          { $set: { inspection: { ...review.inspection, recordedAt: new Date(), recordedBy: ctx.identity.subject, passed: args.passed, notes: args.notes.trim() } } },
        );
        return view((await store.reviews.findOne({ _id: review._id }))!);
      },
      recordVerification: async (_: unknown, args: { reviewId: string; passed: boolean; notes: string }, ctx: Ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const task = await store.verifications.findOne({ _id: args.reviewId });
        if (!task) throw notFound({ zh: '核查任务', en: 'verification task' }, 'reviewId', args.reviewId);
        if (task.state !== 'OPEN') throw platformError('WRONG_STATE', '该核查已有结论', 'This verification has already been recorded', { field: 'reviewId' });
        if (!args.notes.trim()) throw invalidInput([{ path: 'notes', code: 'REQUIRED', messageZh: '请记录核查情况', messageEn: 'Record what the verification found' }]);
        await store.verifications.updateOne(
          { _id: task._id, state: 'OPEN' },
          { $set: { state: args.passed ? 'PASSED' : 'FAILED', recordedAt: new Date(), recordedBy: ctx.identity.subject, notes: args.notes.trim() } },
        );
        if (!args.passed) {
          // A commitment found untrue: the licence granted on it is annulled (撤销), which voids the permit.
          const licence = await store.licences.findOne({ _id: task.licenceId });
          if (licence?.status === 'VALID') {
            await store.claimEnding(licence, 'ANNULLED', `告知承诺核查不实：${args.notes.trim()} / commitment found untrue`, ctx.identity.subject);
            ctx.kickOutbox();
          }
        }
        return taskView((await store.verifications.findOne({ _id: task._id }))!);
      },
    },
  };
}

/** Department event handlers beyond the dispatch itself. */
export function workflowHandlers(db: Connection, department: Department, log: Logger): Record<string, EventHandler> {
  const store = new DepartmentStore(db, department);
  return {
    ItemWithdrawn: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string };
      await store.withdraw(p.applicationId, p.itemCode);
    },
    /** The applicant's correction: the review is back with the department and its clock runs again. */
    ItemCorrected: async (event) => {
      const p = event.payload as { applicationId: string; itemCode: string; values: Record<string, unknown>; to: string };
      const review = await store.reviews.findOne({ _id: `${p.applicationId}:${p.itemCode}` });
      if (!review || review.state !== 'CORRECTION_REQUESTED') return; // already applied
      const pauses = (review.pauses ?? []).map((pause) => (pause.to === null ? { ...pause, to: p.to } : pause));
      await store.reviews.updateOne(
        { _id: review._id, state: 'CORRECTION_REQUESTED' },
        { $set: { state: 'PENDING', pauses, values: { ...review.values, ...p.values } } },
      );
    },
    /** The bureau loaded a year's official holiday schedule: keep a copy for this department's clocks. */
    CalendarScheduleLoaded: async (event) => {
      const p = event.payload as { schedule: YearSchedule; by: string };
      await saveSchedule(db, p.schedule, p.by);
      log.info({ year: p.schedule.year }, 'holiday schedule loaded');
    },
  };
}

/** Approves an item on the applicant's commitment at once, and opens its verification task. */
export async function approveOnCommitment(db: Connection, department: Department, reviewId: string, log: Logger): Promise<void> {
  const store = new DepartmentStore(db, department);
  const review = await store.reviews.findOne({ _id: reviewId });
  if (!review || review.state !== 'PENDING' || !review.commitment) return;
  const item = department.items.find((i) => i.code === review.itemCode)!;
  if (!item.commitmentAllowed) return; // the window checks this too; a department never approves a commitment the law excludes
  const decision = await store.claimDecision(review, 'APPROVED', COMMITMENT_SYSTEM, [], '告知承诺审批 / approved on the applicant\'s commitment');
  if (!decision) return; // already decided (a redelivered dispatch)
  let deadline: string | null = null;
  try {
    deadline = (await calendarFor(db)).addWorkingDays(beijingDate(decision.decidedAt), item.verificationDays ?? 20);
  } catch (error) {
    log.warn({ err: String(error) }, 'verification deadline unknown: holiday schedule missing');
  }
  await store.verifications.updateOne(
    { _id: review._id },
    {
      $setOnInsert: {
        licenceId: decision.licenceId!,
        applicationId: review.applicationId,
        itemCode: review.itemCode,
        holderName: review.holder.companyName,
        createdAt: decision.decidedAt,
        deadline,
        state: 'OPEN',
      },
    },
    { upsert: true },
  );
  log.info({ reviewId, deadline }, 'approved on commitment; verification task open');
}
