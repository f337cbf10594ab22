import DataLoader from 'dataloader';
import type { Connection } from 'mongoose';
import { GraphQLJSON } from '../scalars';
import { invalidInput, notFound, platformError, type FieldProblem } from '../errors';
import { priorOf, requestKey } from '../idempotency';
import { validateFormValues } from '../validation';
import { beijingToday } from '../beijing-calendar';
import { requireRole, type Identity } from '../identity';
import type { Department } from '../registry';
import type { SubgraphContext, SubgraphResolvers } from '../subgraph-server';
import type { Resolvers } from './__generated__/resolver-types';
import { foldLicence, licenceHistory, type Licence } from './licence';
import type { Review } from './review';
import { requireOwnReviewer, requirePending, requireReviewHere, reviewClock, workflowResolvers } from './workflow';
import { COMMITMENT_SYSTEM, DepartmentStore, SYSTEM } from './store';

/** What a department's resolvers receive: the subgraph context with this department's loaders (createDepartmentLoaders). */
export type DepartmentContext = SubgraphContext & { loaders: { licences: DataLoader<string, Licence | null> } };

export function createDepartmentLoaders(db: Connection, department: Department) {
  const store = new DepartmentStore(db, department);
  return {
    // One query per `_entities` call, however many licences of this department a permit lists.
    licences: new DataLoader<string, Licence | null>(async (ids) => {
      const licences = await store.licencesById(ids);
      return ids.map((id) => licences.get(id) ?? null);
    }),
  };
}

/** Who may read a licence's own words (why it ended): its holder, the bureau, and the department itself. */
function privilegedFor(identity: Identity, licence: Licence, department: Department): boolean {
  if (['CLERK', 'ISSUER', 'ADMIN'].includes(identity.role)) return true;
  if (identity.role === 'REVIEWER') return identity.department === department.code;
  return identity.role === 'APPLICANT' && identity.creditCode === licence.holder.creditCode;
}

/** GraphQL shape of a licence: common fields plus the type's own details. The public is not told a reviewer's words. */
export function licenceView(licence: Licence, department: Department, identity: Identity) {
  const doc = licence.doc;
  const item = department.items.find((i) => i.code === doc.itemCode);
  return {
    ...licence.details,
    __typename: doc.typename,
    id: doc._id,
    licenceNumber: doc.licenceNumber,
    itemCode: doc.itemCode,
    itemNameZh: item?.nameZh,
    itemNameEn: item?.nameEn,
    departmentCode: department.code,
    departmentNameZh: department.nameZh,
    holderName: licence.holder.companyName,
    holderCreditCode: licence.holder.creditCode,
    status: licence.status,
    issuedAt: doc.issuedAt.toISOString(),
    validUntil: licence.validUntil,
    endedAt: licence.ended?.endedAt.toISOString() ?? null,
    endedReason: licence.ended ? (privilegedFor(identity, licence, department) ? licence.ended.reason : `${department.nameZh}依法作出决定 / decided by ${department.nameEn}`) : null,
  };
}

export function reviewView(review: Review, department: Department) {
  const doc = review.doc;
  const item = department.items.find((i) => i.code === doc.itemCode);
  return {
    id: review.id,
    applicationId: doc.applicationId,
    applicationNumber: doc.applicationNumber,
    itemCode: doc.itemCode,
    itemNameZh: item?.nameZh,
    departmentCode: department.code,
    holderName: doc.holder.companyName,
    holderCreditCode: doc.holder.creditCode,
    state: review.state,
    receivedAt: review.receivedAt.toISOString(),
    decidedAt: review.decidedAt?.toISOString() ?? null,
    decidedBy: review.decidedBy ?? null,
    reasons: review.reasons ?? null,
    round: review.round,
    values: review.values,
    licenceId: review.licenceId,
    onCommitment: review.decidedBy === COMMITMENT_SYSTEM,
    correctionProblems: review.correctionProblems ?? null,
    inspection: review.inspection
      ? {
          scheduledFor: review.inspection.scheduledFor ?? null,
          recordedAt: review.inspection.recordedAt?.toISOString() ?? null,
          passed: review.inspection.passed ?? null,
          notes: review.inspection.notes ?? null,
        }
      : null,
    _review: review,
  };
}

/** What the review resolvers hand their fields (`clock`, `licence` read `_review` and `licenceId`). */
export type ReviewView = ReturnType<typeof reviewView>;
/** What the licence resolvers hand their fields: the common fields, the type's own details, and its type name. */
export type LicenceView = ReturnType<typeof licenceView>;

async function requireValidLicence(store: DepartmentStore, licenceId: string): Promise<Licence> {
  const licence = await store.licence(licenceId);
  if (!licence) throw notFound({ zh: '许可证', en: 'licence' }, 'licenceId', licenceId);
  if (licence.status !== 'VALID') {
    throw platformError('WRONG_STATE', `该许可证已终止（${licence.status}）`, `This licence has already ended (${licence.status})`, { field: 'licenceId' });
  }
  return licence;
}

/** An item that needs a site inspection is approved only after one has been recorded as passed. */
function requireInspectionPassed(review: Review, department: Department): void {
  const item = department.items.find((i) => i.code === review.doc.itemCode);
  if (item?.siteInspection && !review.inspection?.passed) {
    throw platformError('WRONG_STATE', '本事项须先完成现场核查并记录为合格', 'This item needs a site inspection recorded as passed before approval', { field: 'reviewId' });
  }
}

/**
 * Every department runs the same resolvers under its own names. They are
 * written and typed once against the template department (`TemplateReview`,
 * `TemplateQueries`, …; scripts/generate.ts), then named for this one.
 */
export function departmentResolvers(department: Department): SubgraphResolvers {
  const template = templateResolvers(department);
  const p = department.typePrefix;
  const licenceTypes = [...new Set(department.items.map((i) => i.licenceType))];
  return {
    JSON: GraphQLJSON,
    SingleLicence: template.SingleLicence!,
    ItemReview: { __resolveType: () => `${p}Review` },
    Query: { [department.graphqlName]: () => ({}) },
    Mutation: { [department.graphqlName]: () => ({}) },
    [`${p}Review`]: template.TemplateReview!,
    [`${p}Queries`]: template.TemplateQueries!,
    [`${p}Mutations`]: template.TemplateMutations!,
    ...Object.fromEntries(licenceTypes.map((type) => [type, template.TemplateLicence!])),
  };
}

function templateResolvers(department: Department): Resolvers {
  const view = (review: Review) => reviewView(review, department);
  const workflow = workflowResolvers(department, view);

  const decide = async (ctx: DepartmentContext, reviewId: string, decision: 'APPROVED' | 'DENIED', reasons: string[], comment?: string) => {
    requireOwnReviewer(ctx.identity, department);
    const store = new DepartmentStore(ctx.db, department);
    await requireReviewHere(store, reviewId);
    // Decided on the review's state as its log stands; a reviewer or a withdrawal that moved first wins.
    const { review } = await store.appendReviewStep(reviewId, (current) => {
      requirePending(current);
      if (decision === 'APPROVED') requireInspectionPassed(current, department);
      return store.decisionStep(current, decision, ctx.identity.subject, reasons, { comment });
    });
    ctx.kickOutbox();
    ctx.log.info({ reviewId, decision, by: ctx.identity.subject }, 'item decided');
    return view(review);
  };

  return {
    // A licence view carries its own type name (the department's licence type).
    SingleLicence: { __resolveType: (obj) => obj.__typename as 'TemplateLicence' },
    TemplateLicence: {
      __resolveReference: async (ref, ctx) => {
        const licence = await ctx.loaders.licences.load(ref.id);
        return licence ? licenceView(licence, department, ctx.identity) : null;
      },
    },
    TemplateReview: {
      // A review (with its form values: ID numbers, phones) only for this department's reviewers, however it is asked for.
      __resolveReference: async (ref, ctx) => {
        if (ctx.identity.role !== 'REVIEWER' || ctx.identity.department !== department.code) return null;
        const review = await new DepartmentStore(ctx.db, department).review(ref.id);
        return review ? view(review) : null;
      },
      clock: (review, _args, ctx) => reviewClock(ctx.db, department, review._review),
      licence: async (review, _args, ctx) => {
        if (!review.licenceId) return null;
        // An approval is appended before its licence is written (see completeStep); in between, the step's own licence stands.
        const issued = review._review.issuedLicence;
        const licence = (await ctx.loaders.licences.load(review.licenceId)) ?? (issued ? foldLicence(issued, []) : null);
        return licence ? licenceView(licence, department, ctx.identity) : null;
      },
    },
    TemplateQueries: {
      ...workflow.queries,
      reviews: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const reviews = await new DepartmentStore(ctx.db, department).allReviews();
        return reviews
          .filter((r) => !args.state || r.state === args.state)
          .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())
          .map(view);
      },
      review: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const review = await new DepartmentStore(ctx.db, department).review(args.id);
        return review ? view(review) : null;
      },
      licence: async (_, args, ctx) => {
        const licence = await ctx.loaders.licences.load(args.id);
        return licence ? licenceView(licence, department, ctx.identity) : null;
      },
      items: () => department.items,
      licenceHistory: async (_, args, ctx) => {
        const licence = await new DepartmentStore(ctx.db, department).licence(args.licenceId);
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
        return licenceHistory(licence, department.code, SYSTEM).map((h) => ({
          ...h,
          at: h.at.toISOString(),
          byDepartment: h.byDepartment ?? null,
          reason: h.reason ?? null,
          changes: h.changes ?? null,
        }));
      },
    },
    TemplateMutations: {
      ...workflow.mutations,
      approve: (_, args, ctx) => decide(ctx, args.reviewId, 'APPROVED', [], args.comment ?? undefined),
      deny: (_, args, ctx) => {
        const reasons = args.reasons.map((r) => r.trim()).filter(Boolean);
        if (reasons.length === 0) {
          throw platformError('BAD_USER_INPUT', '不予许可必须说明理由', 'A denial must give at least one reason', {
            field: 'reasons',
          });
        }
        return decide(ctx, args.reviewId, 'DENIED', reasons);
      },
      endLicence: async (_, args, ctx) => {
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
        ctx.log.info({ licenceId: licence.id, ending: args.ending, by: ctx.identity.subject }, 'licence ended');
        return licenceView((await store.licence(licence.id))!, department, ctx.identity);
      },
      changeLicence: async (_, args, ctx) => {
        requireOwnReviewer(ctx.identity, department);
        const store = new DepartmentStore(ctx.db, department);
        const request = requestKey(ctx.identity, args.idempotencyKey, { licenceId: args.licenceId, change: args.change, reason: args.reason });
        const known = await store.licence(args.licenceId);
        // Asked before with this key: answered as then (the licence as it stands).
        if (known && priorOf(known.changes, request)) return licenceView(known, department, ctx.identity);
        const licence = await requireValidLicence(store, args.licenceId);
        const problems: FieldProblem[] = [];
        if (!args.reason.trim()) problems.push({ path: 'reason', code: 'REQUIRED', messageZh: '必须说明变更原因', messageEn: 'A reason is required' });
        const changes: { validUntil?: string; details?: Record<string, unknown> } = {};
        const { validUntil, details } = args.change;
        if (validUntil !== undefined && validUntil !== null) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(validUntil) || Number.isNaN(Date.parse(validUntil)) || validUntil <= beijingToday()) {
            problems.push({ path: 'change.validUntil', code: 'INVALID_DATE', messageZh: '有效期截止日须为晚于今天的日期（YYYY-MM-DD）', messageEn: 'validUntil must be a date after today (YYYY-MM-DD)' });
          } else changes.validUntil = validUntil;
        }
        if (details !== undefined && details !== null) {
          const item = department.items.find((i) => i.code === licence.doc.itemCode)!;
          // Only the licence's own fields, each checked like on the form; none is required in a change.
          const fields = item.elements.filter((e) => e.section === 'item' || e.key === 'floorArea').map((e) => ({ ...e, required: false }));
          const values = typeof details === 'object' && !Array.isArray(details) ? (details as Record<string, unknown>) : null;
          if (!values) problems.push({ path: 'change.details', code: 'INVALID_TYPE', messageZh: '专有字段须为对象', messageEn: 'details must be an object' });
          else {
            problems.push(...validateFormValues(fields, values, 'change.details'));
            changes.details = values;
          }
        }
        if (!problems.length && Object.keys(changes).length === 0) {
          problems.push({ path: 'change', code: 'REQUIRED', messageZh: '没有要变更的内容', messageEn: 'Nothing to change' });
        }
        if (problems.length) throw invalidInput(problems);
        await store.recordChange({
          record: 'CHANGED',
          licenceId: licence.id,
          at: new Date(),
          byRole: ctx.identity.role,
          byDepartment: department.code,
          by: ctx.identity.subject,
          reason: args.reason.trim(),
          changes,
          ...(request ? { request } : {}),
        });
        ctx.log.info({ licenceId: licence.id, by: ctx.identity.subject }, 'licence changed (not on the permit face)');
        return licenceView((await store.licence(licence.id))!, department, ctx.identity);
      },
    },
  };
}
