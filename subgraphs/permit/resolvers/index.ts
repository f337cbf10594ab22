import { isDuplicateKey } from '../../../shared/db';
import { platformError } from '../../../shared/errors';
import { requireRole, type Identity } from '../../../shared/identity';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { maskPersonName } from '../../../shared/validation';
import { qrPngBase64, qrSvg, scanUrl } from '../qr';
import { voidPermitsListing } from '../events';
import { PermitStore, type PermitDoc } from '../store';

type Ctx = SubgraphContext;

/** The bureau sees everything; the holder sees their own permit; everyone else gets the public view. */
function isPrivileged(identity: Identity, permit: PermitDoc): boolean {
  if (['ISSUER', 'CLERK', 'ADMIN'].includes(identity.role)) return true;
  return identity.role === 'APPLICANT' && identity.creditCode === permit.holder.creditCode;
}

function permitView(doc: PermitDoc, identity: Identity) {
  const privileged = isPrivileged(identity, doc);
  return {
    id: doc._id,
    code: doc.code,
    version: doc.version,
    status: doc.status,
    industryCode: doc.industryCode,
    industryNameZh: doc.industryNameZh,
    industryNameEn: doc.industryNameEn,
    holderName: doc.holder.companyName,
    holderCreditCode: doc.holder.creditCode,
    legalRepresentative: privileged ? doc.holder.legalRepresentative : maskPersonName(doc.holder.legalRepresentative),
    businessAddress: doc.holder.businessAddress,
    applicationNumber: doc.applicationNumber,
    items: doc.items.map((item) => ({
      ...item,
      notPermittedReasons: item.permitted ? null : item.reasons,
      licence: item.licenceId ? { __typename: item.licenceType, id: item.licenceId } : null,
    })),
    issuedAt: doc.issuedAt.toISOString(),
    voidedAt: doc.voidedAt?.toISOString() ?? null,
    voidReason: doc.voidReason ?? null,
    voidedByLicenceId: doc.voidedByLicenceId ?? null,
    scanUrl: scanUrl(doc.code),
    history: privileged
      ? doc.history.map((h) => ({ ...h, at: h.at.toISOString(), reason: h.reason ?? null }))
      : null,
  };
}

export function permitResolvers() {
  return {
    SingleLicence: { __resolveType: (obj: { __typename: string }) => obj.__typename },
    Permit: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const doc = await new PermitStore(ctx.db).permits.findOne({ _id: ref.id });
        return doc ? permitView(doc, ctx.identity) : null;
      },
      qrSvg: (permit: { code: string }) => qrSvg(permit.code),
      qrPngBase64: (permit: { code: string }) => qrPngBase64(permit.code),
    },
    Query: {
      scanPermit: async (_: unknown, args: { code: string }, ctx: Ctx) => {
        const doc = await new PermitStore(ctx.db).permits.findOne({ code: args.code.trim().toUpperCase() });
        return doc ? permitView(doc, ctx.identity) : null;
      },
      permit: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const doc = await new PermitStore(ctx.db).permits.findOne({ _id: args.id });
        return doc && isPrivileged(ctx.identity, doc) ? permitView(doc, ctx.identity) : null;
      },
      permitForApplication: async (_: unknown, args: { applicationId: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const [doc] = await new PermitStore(ctx.db).permits
          .find({ applicationId: args.applicationId })
          .sort({ version: -1 })
          .limit(1)
          .toArray();
        return doc && isPrivileged(ctx.identity, doc) ? permitView(doc, ctx.identity) : null;
      },
      permitRequests: async (_: unknown, _args: unknown, ctx: Ctx) => {
        requireRole(ctx.identity, 'ISSUER', 'ADMIN');
        const store = new PermitStore(ctx.db);
        const requests = await store.requests.find({}).sort({ receivedAt: 1 }).limit(200).toArray();
        const issued = new Set(
          (await store.permits.find({ applicationId: { $in: requests.map((r) => r._id) } }).toArray()).map((p) => p.applicationId),
        );
        return requests.map((r) => ({
          applicationId: r._id,
          applicationNumber: r.applicationNumber,
          holderName: r.holder.companyName,
          industryNameZh: r.industryNameZh,
          issued: issued.has(r._id),
        }));
      },
    },
    Mutation: {
      issuePermit: async (_: unknown, args: { applicationId: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'ISSUER');
        const store = new PermitStore(ctx.db);
        const request = await store.requests.findOne({ _id: args.applicationId });
        if (!request) {
          throw platformError(
            'NOT_READY',
            '该申请尚有事项未决定，或申请不存在，暂不能发证',
            'Not every item of this application is decided yet (or there is no such application)',
            { field: 'applicationId' },
          );
        }
        if (!request.items.some((i) => i.permitted)) {
          throw platformError('WRONG_STATE', '所有事项均不予许可，不能发放综合许可凭证', 'Every item was denied; no permit can be issued', {
            field: 'applicationId',
          });
        }
        const licenceIds = request.items.flatMap((i) => (i.licenceId ? [i.licenceId] : []));
        const ended = await store.endings.findOne({ _id: { $in: licenceIds } });
        if (ended) {
          const item = request.items.find((i) => i.licenceId === ended._id)!;
          throw platformError(
            'WRONG_STATE',
            `「${item.itemNameZh}」许可证已终止（${ended.ending}），不能发放综合许可凭证`,
            `The licence for "${item.itemNameEn}" has ended (${ended.ending}); no permit can be issued`,
            { field: 'applicationId' },
          );
        }
        const now = new Date();
        const doc: PermitDoc = {
          _id: `${request._id}:v1`,
          code: PermitStore.newCode(),
          version: 1,
          applicationId: request._id,
          applicationNumber: request.applicationNumber,
          industryCode: request.industryCode,
          industryNameZh: request.industryNameZh,
          industryNameEn: request.industryNameEn,
          holder: request.holder,
          items: request.items,
          status: 'VALID',
          issuedAt: now,
          issuedBy: ctx.identity.subject,
          history: [{ at: now, action: 'ISSUED', byRole: ctx.identity.role, by: ctx.identity.subject }],
        };
        try {
          await store.permits.insertOne(doc);
        } catch (error) {
          if (isDuplicateKey(error)) {
            throw platformError('WRONG_STATE', '该申请的综合许可凭证已发放', 'The permit for this application is already issued', {
              field: 'applicationId',
            });
          }
          throw error;
        }
        ctx.log.info({ permitId: doc._id, code: doc.code }, 'permit issued');
        // A licence that ended while we were issuing: its event found no permit yet, so void now.
        const endedMeanwhile = await store.endings.findOne({ _id: { $in: licenceIds } });
        if (endedMeanwhile) await voidPermitsListing(store, endedMeanwhile, ctx.log);
        const issued = (await store.permits.findOne({ _id: doc._id }))!;
        return permitView(issued, ctx.identity);
      },
    },
  };
}


