import DataLoader from 'dataloader';
import type { Connection } from 'mongoose';
import { GraphQLJSON } from '../scalars';
import { isDuplicateKey } from '../db';
import { platformError, notFound } from '../errors';
import { requireRole, type Identity } from '../identity';
import { itemIndex, department as departmentByCode, type Department } from '../registry';
import type { SubgraphContext } from '../subgraph-server';
import { DepartmentStore, type DecisionDoc, type EndingDoc, type LicenceDoc, type ReviewDoc } from './store';

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
    values: doc.values,
    licenceId: doc.licenceId,
  };
}

/** A reviewer acts only for their own department. */
function requireOwnReviewer(identity: Identity, department: Department): void {
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
    throw platformError(
      'WRONG_STATE',
      `该事项已作出决定（${review.state === 'APPROVED' ? '准予许可' : '不予许可'}），不能再次决定`,
      `This item has already been decided (${review.state}); it cannot be decided again`,
      { field: 'reviewId' },
    );
  }
  return review;
}

export function departmentResolvers(department: Department) {
  const p = department.typePrefix;
  const licenceTypes = [...new Set(department.items.map((i) => i.licenceType))];

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
    const decidedAt = new Date();
    const licenceId = decision === 'APPROVED' ? DepartmentStore.licenceIdFor(review._id) : undefined;
    const fields = { decision, decidedBy: ctx.identity.subject, decidedAt, reasons, licenceId };
    const doc: DecisionDoc = {
      _id: `${review._id}#1`,
      reviewId: review._id,
      ...fields,
      ...(comment ? { comment } : {}),
      applied: false,
      _outbox: [store.decisionEvent(review, fields)],
    };
    try {
      await store.decisions.insertOne(doc);
    } catch (error) {
      if (isDuplicateKey(error)) {
        throw platformError(
          'CONFLICT',
          '其他审批人员已同时对该事项作出决定，请刷新后查看',
          'Another reviewer decided this item at the same moment; reload to see the decision',
          { field: 'reviewId' },
        );
      }
      throw error;
    }
    await store.applyDecision(doc);
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
      licence: async (review: { licenceId?: string }, _args: unknown, ctx: Ctx) => {
        if (!review.licenceId) return null;
        const doc = await ctx.loaders.licences.load(review.licenceId);
        return doc ? licenceView(doc, department) : null;
      },
    },
    ...licenceResolvers,
    [`${p}Queries`]: {
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
    },
    [`${p}Mutations`]: {
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
        const licence = await store.licences.findOne({ _id: args.licenceId });
        if (!licence) throw notFound({ zh: '许可证', en: 'licence' }, 'licenceId', args.licenceId);
        if (licence.status !== 'VALID') {
          throw platformError('WRONG_STATE', `该许可证已终止（${licence.status}）`, `This licence has already ended (${licence.status})`, {
            field: 'licenceId',
          });
        }
        const endedAt = new Date();
        const fields = { ending: args.ending, reason: args.reason.trim(), endedAt };
        const doc: EndingDoc = {
          _id: licence._id,
          licenceId: licence._id,
          ...fields,
          endedBy: ctx.identity.subject,
          applied: false,
          _outbox: [store.endingEvent(licence, fields)],
        };
        try {
          await store.endings.insertOne(doc);
        } catch (error) {
          if (isDuplicateKey(error)) {
            throw platformError('CONFLICT', '该许可证已被同时终止', 'This licence was ended at the same moment by someone else', {
              field: 'licenceId',
            });
          }
          throw error;
        }
        await store.applyEnding(doc);
        ctx.kickOutbox();
        ctx.log.info({ licenceId: licence._id, ending: args.ending, by: ctx.identity.subject }, 'licence ended');
        return licenceView((await store.licences.findOne({ _id: licence._id }))!, department);
      },
    },
  };
}
