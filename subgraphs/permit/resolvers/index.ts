import { isDuplicateKey } from '../../../shared/db';
import { notFound, platformError } from '../../../shared/errors';
import { requireRole, type Identity } from '../../../shared/identity';
import { parseQrContent, verifyQr } from '../../../shared/permit-code';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { maskPersonName } from '../../../shared/validation';
import { historyEntry, insertVersion, voidPermitsListing } from '../lifecycle';
import { permitQrContent, publishedKeys, qrPngBase64, qrSvg } from '../qr';
import { PermitStore, type HistoryEntry, type PermitDoc } from '../store';

type Ctx = SubgraphContext;

/** The bureau sees everything; the holder sees their own permit; everyone else gets the public view. */
function isPrivileged(identity: Identity, permit: PermitDoc): boolean {
  if (['ISSUER', 'CLERK', 'ADMIN'].includes(identity.role)) return true;
  return identity.role === 'APPLICANT' && identity.creditCode === permit.holder.creditCode;
}

/** Who may read the accountability record: the holder, the bureau, and each deciding department. */
function mayReadHistory(identity: Identity, permit: PermitDoc): boolean {
  if (isPrivileged(identity, permit)) return true;
  return identity.role === 'REVIEWER' && permit.items.some((i) => i.departmentCode === identity.department);
}

const historyView = (h: HistoryEntry) => ({ ...h, at: h.at.toISOString(), byDepartment: h.byDepartment ?? null, reason: h.reason ?? null });

export function permitView(doc: PermitDoc, identity: Identity) {
  const privileged = isPrivileged(identity, doc);
  const qrContent = permitQrContent(doc.code, doc.qr);
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
    applicationId: doc.applicationId,
    applicationNumber: doc.applicationNumber,
    licenceIdentifier: doc.licenceIdentifier,
    items: doc.items.map((item) => ({
      ...item,
      notPermittedReasons: item.permitted ? null : item.reasons,
      licence: item.licenceId ? { __typename: item.licenceType, id: item.licenceId } : null,
    })),
    issuedAt: doc.issuedAt.toISOString(),
    voidedAt: doc.voidedAt?.toISOString() ?? null,
    voidReason: doc.voidReason ?? null,
    voidedByLicenceId: doc.voidedByLicenceId ?? null,
    recalledAt: doc.recalledAt?.toISOString() ?? null,
    reissueDue: Boolean(doc.reissueDue),
    supersededById: doc.supersededBy ?? null,
    scanUrl: qrContent,
    qrContent,
    history: privileged ? doc.history.map(historyView) : null,
  };
}

type PermitView = ReturnType<typeof permitView>;

async function requirePermit(store: PermitStore, id: string, field = 'permitId'): Promise<PermitDoc> {
  const doc = await store.permits.findOne({ _id: id });
  if (!doc) throw notFound({ zh: '综合许可凭证', en: 'permit' }, field, id);
  return doc;
}

const VERIFICATION_TEXT: Record<string, { zh: string; en: string }> = {
  AUTHENTIC: { zh: '二维码真实有效，由顺义区政务服务局签发', en: 'Authentic: signed by the Shunyi District Government Service Bureau' },
  REGISTERED: { zh: '凭证编码已登记（未携带签名，仅按编码查询）', en: 'The code is registered (no signature to check: looked up by code)' },
  SUPERSEDED: { zh: '该版本已换发，请以最新版本为准', en: 'This version has been replaced; the current version is given' },
  BAD_SIGNATURE: { zh: '签名无效：二维码可能被篡改', en: 'Invalid signature: the code may have been tampered with' },
  UNKNOWN_KEY: { zh: '签名密钥未知：二维码不是本平台签发的', en: 'Unknown signing key: not issued by this platform' },
  UNKNOWN_CODE: { zh: '未找到该凭证编码', en: 'No permit has this code' },
  MALFORMED: { zh: '无法识别的二维码内容', en: 'Unrecognised QR content' },
};

export function permitResolvers() {
  return {
    SingleLicence: { __resolveType: (obj: { __typename: string }) => obj.__typename },
    Permit: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => {
        const doc = await new PermitStore(ctx.db).permits.findOne({ _id: ref.id });
        return doc ? permitView(doc, ctx.identity) : null;
      },
      qrSvg: (permit: PermitView) => qrSvg(permit.qrContent),
      qrPngBase64: (permit: PermitView) => qrPngBase64(permit.qrContent),
      supersededBy: async (permit: PermitView, _: unknown, ctx: Ctx) => {
        if (!permit.supersededById) return null;
        const doc = await new PermitStore(ctx.db).permits.findOne({ _id: permit.supersededById });
        return doc ? permitView(doc, ctx.identity) : null;
      },
      currentVersion: async (permit: PermitView, _: unknown, ctx: Ctx) => {
        // Only a superseded version has a newer one: spare the scan a query otherwise.
        if (permit.status !== 'SUPERSEDED') return permit;
        const doc = await new PermitStore(ctx.db).latest(permit.applicationId);
        return doc ? permitView(doc, ctx.identity) : null;
      },
    },
    Query: {
      scanPermit: async (_: unknown, args: { code: string }, ctx: Ctx) => {
        const doc = await new PermitStore(ctx.db).permits.findOne({ code: args.code.trim().toUpperCase() });
        return doc ? permitView(doc, ctx.identity) : null;
      },
      verifyPermit: async (_: unknown, args: { qrContent: string }, ctx: Ctx) => {
        const store = new PermitStore(ctx.db);
        const answer = async (result: string, doc: PermitDoc | null) => {
          const current = doc ? await store.latest(doc.applicationId) : null;
          const authentic = ['AUTHENTIC', 'REGISTERED', 'SUPERSEDED'].includes(result);
          return {
            result,
            authentic,
            messageZh: VERIFICATION_TEXT[result].zh,
            messageEn: VERIFICATION_TEXT[result].en,
            // A tampered or foreign code gets no permit data: it proves nothing.
            permit: authentic && doc ? permitView(doc, ctx.identity) : null,
            current: authentic && current ? permitView(current, ctx.identity) : null,
          };
        };
        const parsed = parseQrContent(args.qrContent);
        if (!parsed) return answer('MALFORMED', null);
        const doc = await store.permits.findOne({ code: parsed.code });
        if (!doc) return answer('UNKNOWN_CODE', null);
        if (parsed.fields) {
          const check = await verifyQr(parsed.fields, await publishedKeys());
          if (check !== 'AUTHENTIC') return answer(check, doc);
        }
        if (doc.status === 'SUPERSEDED') return answer('SUPERSEDED', doc);
        return answer(parsed.fields ? 'AUTHENTIC' : 'REGISTERED', doc);
      },
      permitSigningKeys: () => publishedKeys(),
      permit: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN', 'REVIEWER');
        const doc = await new PermitStore(ctx.db).permits.findOne({ _id: args.id });
        return doc && mayReadHistory(ctx.identity, doc) ? permitView(doc, ctx.identity) : null;
      },
      permitForApplication: async (_: unknown, args: { applicationId: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const doc = await new PermitStore(ctx.db).latest(args.applicationId);
        return doc && isPrivileged(ctx.identity, doc) ? permitView(doc, ctx.identity) : null;
      },
      permitHistory: async (_: unknown, args: { permitId: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN', 'REVIEWER');
        const store = new PermitStore(ctx.db);
        const doc = await requirePermit(store, args.permitId);
        if (!mayReadHistory(ctx.identity, doc)) {
          throw platformError('FORBIDDEN', '只有持证人、发证机关和审批部门可查看凭证履历', 'Only the holder, the bureau and the deciding departments may read this history', {
            field: 'permitId',
          });
        }
        // Every version's record, merged: each version carries its predecessors' entries.
        const versions = await store.permits.find({ applicationId: doc.applicationId }).toArray();
        const seen = new Map<string, HistoryEntry>();
        for (const h of versions.flatMap((v) => v.history)) seen.set(`${h.action}:${h.version}:${h.at.getTime()}`, h);
        return [...seen.values()].sort((a, b) => a.at.getTime() - b.at.getTime() || a.version - b.version).map(historyView);
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
      permitsAwaitingReissue: async (_: unknown, _args: unknown, ctx: Ctx) => {
        requireRole(ctx.identity, 'ISSUER', 'ADMIN');
        const docs = await new PermitStore(ctx.db).permits.find({ reissueDue: true, status: 'VALID' }).toArray();
        return docs.map((d) => permitView(d, ctx.identity));
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
        let doc: PermitDoc;
        try {
          doc = await insertVersion(store, request, { previous: null, cause: 'ISSUE', actor: { role: ctx.identity.role, subject: ctx.identity.subject } });
        } catch (error) {
          if (isDuplicateKey(error)) {
            throw platformError('WRONG_STATE', '该申请的综合许可凭证已发放', 'The permit for this application is already issued', {
              field: 'applicationId',
            });
          }
          throw error;
        }
        ctx.kickOutbox();
        ctx.log.info({ permitId: doc._id, code: doc.code }, 'permit issued');
        // A licence that ended while we were issuing: its event found no permit yet, so void now.
        const endedMeanwhile = await store.endings.findOne({ _id: { $in: licenceIds } });
        if (endedMeanwhile) await voidPermitsListing(store, endedMeanwhile, ctx.log);
        return permitView((await store.permits.findOne({ _id: doc._id }))!, ctx.identity);
      },
      reissuePermit: async (_: unknown, args: { permitId: string; reason: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'ISSUER');
        if (!args.reason.trim()) throw platformError('BAD_USER_INPUT', '必须说明换发原因', 'A reason is required', { field: 'reason' });
        const store = new PermitStore(ctx.db);
        const previous = await requirePermit(store, args.permitId);
        if (previous.status !== 'VALID') {
          throw platformError('WRONG_STATE', `该凭证状态为 ${previous.status}，不能换发`, `A ${previous.status} permit cannot be re-issued`, { field: 'permitId' });
        }
        const request = (await store.requests.findOne({ _id: previous.applicationId }))!;
        let doc: PermitDoc;
        try {
          doc = await insertVersion(store, request, {
            previous,
            cause: 'ITEM_PERMITTED',
            actor: { role: ctx.identity.role, subject: ctx.identity.subject },
            reason: args.reason.trim(),
          });
        } catch (error) {
          if (isDuplicateKey(error)) {
            throw platformError('CONFLICT', '该凭证刚刚已被换发', 'This permit was just re-issued by someone else', { field: 'permitId' });
          }
          throw error;
        }
        ctx.kickOutbox();
        ctx.log.info({ permitId: doc._id, supersedes: previous._id }, 'permit re-issued');
        return permitView(doc, ctx.identity);
      },
      recordPermitRecall: async (_: unknown, args: { permitId: string; note: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'ISSUER');
        if (!args.note.trim()) throw platformError('BAD_USER_INPUT', '必须填写收回情况说明', 'A note on the recall is required', { field: 'note' });
        const store = new PermitStore(ctx.db);
        const permit = await requirePermit(store, args.permitId);
        if (permit.status !== 'VOID' || permit.recalledAt) {
          throw platformError(
            'WRONG_STATE',
            permit.recalledAt ? '该凭证已登记收回' : '只有已作废的凭证才能登记收回',
            permit.recalledAt ? 'The recall is already recorded' : 'Only a void permit is recalled',
            { field: 'permitId' },
          );
        }
        const now = new Date();
        await store.permits.updateOne(
          { _id: permit._id, recalledAt: { $exists: false } },
          {
            $set: { recalledAt: now, recalledBy: ctx.identity.subject },
            $push: { history: historyEntry('RECALLED', permit.version, { role: ctx.identity.role, subject: ctx.identity.subject }, args.note.trim()) },
          },
        );
        return permitView((await store.permits.findOne({ _id: permit._id }))!, ctx.identity);
      },
    },
  };
}
