import DataLoader from 'dataloader';
import type { Connection } from 'mongoose';
import { GraphQLJSON } from '../scalars';
import { invalidInput, notFound, platformError, type FieldProblem } from '../errors';
import { validateFormValues } from '../validation';
import { beijingDate } from '../working-days';
import { requireRole } from '../identity';
import { itemIndex, department as departmentByCode, type Department } from '../registry';
import type { SubgraphContext } from '../subgraph-server';
import { requireOwnReviewer, reviewClock, workflowResolvers } from './workflow';
import { COMMITMENT_SYSTEM, DepartmentStore, type EndingDoc, type LicenceDoc, type ReviewDoc } from './store';

type Ctx = SubgraphContext & { loaders: { licences: DataLoader<string, LicenceDoc | null> } };

export function createDepartmentLoaders(db: Connection, department: Department) {
  const store = new DepartmentStore(db, department);
  return {
    // One query per `_entities` call, however many licences of this department a permit lists.
    licences: new DataLoader<string, LicenceDoc | null>(async (ids) => {
      const docs = await store.licences.find({ _id: { $in: [...ids] } }).toArray();
      const byId = new Map(docs.map((d) => [d._id, d]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

/** GraphQL shape of a licence: common fields plus the type's own details. */
function licenceView(doc: LicenceDoc, department: Department) {
  const item = department.items.find((i) => i.code === doc.itemCode);
  return {
    ...doc.details,
    __typename: doc.typename,
    id: doc._id,
    licenceNumber: doc.licenceNumber,
    itemCode: doc.itemCode,
    itemNameZh: item?.nameZh,
    itemNameEn: item?.nameEn,
    departmentCode: department.code,
    departmentNameZh: department.nameZh,
    holderName: doc.holder.companyName,
    holderCreditCode: doc.holder.creditCode,
    status: doc.status,
    issuedAt: doc.issuedAt.toISOString(),
    validUntil: doc.validUntil,
    endedAt: doc.endedAt?.toISOString() ?? null,
    endedReason: doc.endedReason ?? null,
  };
}

function reviewView(doc: ReviewDoc, department: Department) {
  const item = department.items.find((i) => i.code === doc.itemCode);
  return {
    id: doc._id,
    applicationId: doc.applicationId,
    applicationNumber: doc.applicationNumber,
    itemCode: doc.itemCode,
    itemNameZh: item?.nameZh,
    departmentCode: department.code,
    holderName: doc.holder.companyName,
    holderCreditCode: doc.holder.creditCode,
    state: doc.state,
    receivedAt: doc.receivedAt.toISOString(),
    decidedAt: doc.decidedAt?.toISOString() ?? null,
    decidedBy: doc.decidedBy ?? null,
    reasons: doc.reasons ?? null,
    round: doc.round ?? 1,
    values: doc.values,
    licenceId: doc.licenceId,
    onCommitment: doc.decidedBy === COMMITMENT_SYSTEM,
    correctionProblems: doc.correctionProblems ?? null,
    inspection: doc.inspection
      ? { ...doc.inspection, recordedAt: doc.inspection.recordedAt?.toISOString() ?? null, passed: doc.inspection.passed ?? null, notes: doc.inspection.notes ?? null, scheduledFor: doc.inspection.scheduledFor ?? null }
      : null,
    _doc: doc,
  };
}

async function requireValidLicence(store: DepartmentStore, licenceId: string): Promise<LicenceDoc> {
  const licence = await store.licences.findOne({ _id: licenceId });
  if (!licence) throw notFound({ zh: '许可证', en: 'licence' }, 'licenceId', licenceId);
  if (licence.status !== 'VALID') {
    throw platformError('WRONG_STATE', `该许可证已终止（${licence.status}）`, `This licence has already ended (${licence.status})`, { field: 'licenceId' });
  }
  return licence;
}

/** An item that needs a site inspection is approved only after one has been recorded as passed. */
function requireInspectionPassed(review: ReviewDoc, department: Department): void {
  const item = department.items.find((i) => i.code === review.itemCode);
  if (item?.siteInspection && !review.inspection?.passed) {
    throw platformError('WRONG_STATE', '本事项须先完成现场核查并记录为合格', 'This item needs a site inspection recorded as passed before approval', { field: 'reviewId' });
  }
}

/** Loads a review for a decision, explaining precisely why it cannot be decided here. */
async function reviewForDecision(store: DepartmentStore, reviewId: string): Promise<ReviewDoc> {
  const department = store.department;
  const itemCode = reviewId.split(':')[1] ?? '';
  const item = itemIndex().get(itemCode);
  if (item && item.department !== department.code) {
    const owner = departmentByCode(item.department)!;
    throw platformError(
      'FORBIDDEN',
      `事项「${item.nameZh}」由${owner.nameZh}审批，不属于${department.nameZh}`,
      `Item "${item.nameEn}" is decided by ${owner.nameEn}, not ${department.nameEn}`,
      { field: 'reviewId' },
    );
  }
  const review = await store.reviews.findOne({ _id: reviewId });
  if (!review) throw notFound({ zh: '审查记录', en: 'review' }, 'reviewId', reviewId);
  if (review.state !== 'PENDING') {
    const why: Record<string, [string, string]> = {
      APPROVED: ['该事项已准予许可，不能再次决定', 'This item has already been approved'],
      DENIED: ['该事项已不予许可，不能再次决定', 'This item has already been denied'],
      CORRECTION_REQUESTED: ['该事项正在等待申请人补正', 'This item is waiting for the applicant\'s correction'],
      WITHDRAWN: ['申请人已撤回该申请', 'The applicant has withdrawn this application'],
    };
    const [zh, en] = why[review.state];
    throw platformError('WRONG_STATE', zh, en, { field: 'reviewId' });
  }
  return review;
}

export function departmentResolvers(department: Department) {
  const p = department.typePrefix;
  const licenceTypes = [...new Set(department.items.map((i) => i.licenceType))];
  const workflow = workflowResolvers(department, (doc) => reviewView(doc, department));

  const decide = async (
    ctx: Ctx,
    reviewId: string,
    decision: 'APPROVED' | 'DENIED',
    reasons: string[],
    comment?: string,
  ) => {
    requireOwnReviewer(ctx.identity, department);
    const store = new DepartmentStore(ctx.db, department);
    const review = await reviewForDecision(store, reviewId);
    if (decision === 'APPROVED') requireInspectionPassed(review, department);
    const doc = await store.claimDecision(review, decision, ctx.identity.subject, reasons, comment);
    if (!doc) {
      throw platformError(
        'CONFLICT',
        '其他审批人员已同时对该事项作出决定，请刷新后查看',
        'Another reviewer decided this item at the same moment; reload to see the decision',
        { field: 'reviewId' },
      );
    }
    ctx.kickOutbox();
    ctx.log.info({ reviewId, decision, by: ctx.identity.subject }, 'item decided');
    return reviewView((await store.reviews.findOne({ _id: review._id }))!, department);
  };

  const licenceResolvers = Object.fromEntries(
    licenceTypes.map((type) => [
      type,
      {
        __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
          const doc = await ctx.loaders.licences.load(ref.id);
          return doc ? licenceView(doc, department) : null;
        },
      },
    ]),
  );

  return {
    JSON: GraphQLJSON,
    SingleLicence: { __resolveType: (obj: { __typename: string }) => obj.__typename },
    ItemReview: { __resolveType: () => `${p}Review` },
    Query: { [department.graphqlName]: () => ({}) },
    Mutation: { [department.graphqlName]: () => ({}) },
    [`${p}Review`]: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const store = new DepartmentStore(ctx.db, department);
        const doc = await store.reviews.findOne({ _id: ref.id });
        return doc ? reviewView(doc, department) : null;
      },
      clock: (review: { _doc: ReviewDoc }, _args: unknown, ctx: Ctx) => reviewClock(ctx.db, department, review._doc),
      licence: async (review: { licenceId?: string }, _args: unknown, ctx: Ctx) => {
        if (!review.licenceId) return null;
        const doc = await ctx.loaders.licences.load(review.licenceId);
        return doc ? licenceView(doc, department) : null;
      },
    },
    ...licenceResolvers,
    [`${p}Queries`]: {
      ...workflow.queries,
      reviews: async (_: unknown, args: { state?: string }, ctx: Ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const docs = await store.reviews.find(args.state ? { state: args.state as ReviewDoc['state'] } : {}).sort({ receivedAt: 1 }).toArray();
        return docs.map((d) => reviewView(d, department));
      },
      review: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const doc = await new DepartmentStore(ctx.db, department).reviews.findOne({ _id: args.id });
        return doc ? reviewView(doc, department) : null;
      },
      licence: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        const doc = await ctx.loaders.licences.load(args.id);
        return doc ? licenceView(doc, department) : null;
      },
      items: () => department.items,
      licenceHistory: async (_: unknown, args: { licenceId: string }, ctx: Ctx) => {
        const store = new DepartmentStore(ctx.db, department);
        const licence = await store.licences.findOne({ _id: args.licenceId });
        if (!licence) throw notFound({ zh: '许可证', en: 'licence' }, 'licenceId', args.licenceId);
        const { identity } = ctx;
        const allowed =
          ['ISSUER', 'CLERK', 'ADMIN'].includes(identity.role) ||
          (identity.role === 'APPLICANT' && identity.creditCode === licence.holder.creditCode) ||
          (identity.role === 'REVIEWER' && identity.department === department.code);
        if (!allowed) {
          requireRole(identity, 'APPLICANT', 'REVIEWER', 'ISSUER', 'CLERK', 'ADMIN');
          throw platformError('FORBIDDEN', '只有持证人、区政务服务局和发证部门可查看许可证履历', 'Only the holder, the bureau and the issuing department may read this history', {
            field: 'licenceId',
          });
        }
        const entries = await store.history.find({ licenceId: licence._id }).sort({ at: 1 }).toArray();
        return entries.map((h) => ({ ...h, at: h.at.toISOString(), byDepartment: h.byDepartment ?? null, reason: h.reason ?? null, changes: h.changes ?? null }));
      },
    },
    [`${p}Mutations`]: {
      ...workflow.mutations,
      approve: (_: unknown, args: { reviewId: string; comment?: string }, ctx: Ctx) =>
        decide(ctx, args.reviewId, 'APPROVED', [], args.comment),
      deny: (_: unknown, args: { reviewId: string; reasons: string[] }, ctx: Ctx) => {
        const reasons = args.reasons.map((r) => r.trim()).filter(Boolean);
        if (reasons.length === 0) {
          throw platformError('BAD_USER_INPUT', '不予许可必须说明理由', 'A denial must give at least one reason', {
            field: 'reasons',
          });
        }
        return decide(ctx, args.reviewId, 'DENIED', reasons);
      },
      endLicence: async (
        _: unknown,
        args: { licenceId: string; ending: EndingDoc['ending']; reason: string },
        ctx: Ctx,
      ) => {
        requireOwnReviewer(ctx.identity, department);
        if (!args.reason.trim()) {
          throw platformError('BAD_USER_INPUT', '必须说明终止理由', 'A reason is required', { field: 'reason' });
        }
        const store = new DepartmentStore(ctx.db, department);
        const licence = await requireValidLicence(store, args.licenceId);
        const claimed = await store.claimEnding(licence, args.ending, args.reason.trim(), ctx.identity.subject);
        if (!claimed) {
          throw platformError('CONFLICT', '该许可证已被同时终止', 'This licence was ended at the same moment by someone else', {
            field: 'licenceId',
          });
        }
        ctx.kickOutbox();
        ctx.log.info({ licenceId: licence._id, ending: args.ending, by: ctx.identity.subject }, 'licence ended');
        return licenceView((await store.licences.findOne({ _id: licence._id }))!, department);
      },
      changeLicence: async (
        _: unknown,
        args: { licenceId: string; change: { validUntil?: string | null; details?: unknown }; reason: string },
        ctx: Ctx,
      ) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const licence = await requireValidLicence(store, args.licenceId);
        const problems: FieldProblem[] = [];
        if (!args.reason.trim()) problems.push({ path: 'reason', code: 'REQUIRED', messageZh: '必须说明变更原因', messageEn: 'A reason is required' });
        const set: Record<string, unknown> = {};
        const { validUntil, details } = args.change;
        if (validUntil !== undefined && validUntil !== null) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(validUntil) || Number.isNaN(Date.parse(validUntil)) || validUntil <= beijingDate(new Date())) {
            problems.push({ path: 'change.validUntil', code: 'INVALID_DATE', messageZh: '有效期截止日须为晚于今天的日期（YYYY-MM-DD）', messageEn: 'validUntil must be a date after today (YYYY-MM-DD)' });
          } else set.validUntil = validUntil;
        }
        if (details !== undefined && details !== null) {
          const item = department.items.find((i) => i.code === licence.itemCode)!;
          // Only the licence's own fields, each checked like on the form; none is required in a change.
          const fields = item.elements.filter((e) => e.section === 'item' || e.key === 'floorArea').map((e) => ({ ...e, required: false }));
          const values = typeof details === 'object' && !Array.isArray(details) ? (details as Record<string, unknown>) : null;
          if (!values) problems.push({ path: 'change.details', code: 'INVALID_TYPE', messageZh: '专有字段须为对象', messageEn: 'details must be an object' });
          else {
            problems.push(...validateFormValues(fields, values, 'change.details'));
            for (const [key, value] of Object.entries(values)) set[`details.${key}`] = value;
          }
        }
        if (!problems.length && Object.keys(set).length === 0) {
          problems.push({ path: 'change', code: 'REQUIRED', messageZh: '没有要变更的内容', messageEn: 'Nothing to change' });
        }
        if (problems.length) throw invalidInput(problems);
        await store.licences.updateOne({ _id: licence._id }, { $set: set });
        await store.recordHistory({
          licenceId: licence._id,
          at: new Date(),
          action: 'CHANGED',
          byRole: ctx.identity.role,
          byDepartment: department.code,
          by: ctx.identity.subject,
          reason: args.reason.trim(),
          changes: args.change as Record<string, unknown>,
        });
        ctx.log.info({ licenceId: licence._id, by: ctx.identity.subject }, 'licence changed (not on the permit face)');
        return licenceView((await store.licences.findOne({ _id: licence._id }))!, department);
      },
    },
  };
}
