import { invalidInput, notFound, platformError } from '../../../shared/errors';
import { beijingDayNumber, dateOf, mondayOf } from '../../../shared/beijing-calendar';
import { insertOnce } from '../../../shared/records';
import { requireRole, type Identity } from '../../../shared/identity';
import { normaliseCode, parseQrContent, verifyQr } from '../../../shared/permit-code';
import { deriveOverallState, licenceStatusText } from '../../../shared/permit-state';
import { maskPersonName } from '../../../shared/validation';
import { voidIfEnded } from '../events';
import { insertVersion } from '../lifecycle';
import { permitQrContent, publishedKeys, qrPngBase64, qrSvg } from '../qr';
import { PermitStore, type Permit, type PermitRecord, type PermitRequest, type PermitRequestDoc, type PermitVersionDoc } from '../store';
import type { Resolvers, VerificationResult } from '../__generated__/resolver-types';

/** The bureau sees everything; the holder sees their own permit; everyone else gets the public view. */
function isPrivileged(identity: Identity, permit: PermitVersionDoc): boolean {
  if (['ISSUER', 'CLERK', 'ADMIN'].includes(identity.role)) return true;
  return identity.role === 'APPLICANT' && identity.creditCode === permit.holder.creditCode;
}

/** Who may read the accountability record: the holder, the bureau, and each deciding department. */
function mayReadHistory(identity: Identity, permit: PermitVersionDoc): boolean {
  if (isPrivileged(identity, permit)) return true;
  return identity.role === 'REVIEWER' && permit.items.some((i) => i.departmentCode === identity.department);
}

interface HistoryEntry {
  at: Date;
  action: 'ISSUED' | 'REISSUED' | 'SUPERSEDED' | 'VOIDED' | 'RECALLED';
  version: number;
  byRole: string;
  byDepartment?: string;
  by: string;
  reason?: string;
}

/** A permit's accountability history: every version's issue and every fact about a version, in time order. */
function history(records: PermitRecord[]): HistoryEntry[] {
  const versions = new Map(records.filter((r): r is PermitVersionDoc => r.record === 'VERSION').map((v) => [v._id, v]));
  const entries = records.flatMap((r): HistoryEntry[] => {
    const version = versions.get(r.permitId)?.version ?? 0;
    switch (r.record) {
      case 'VERSION':
        return [{ at: r.issuedAt, action: r.supersedes ? 'REISSUED' : 'ISSUED', version, byRole: r.issuedByRole, by: r.issuedBy, reason: r.reason }];
      case 'SUPERSEDED':
        return [{ at: r.at, action: 'SUPERSEDED', version, byRole: r.byRole, by: r.by, reason: `第 ${r.newVersion} 版已换发 / replaced by version ${r.newVersion}` }];
      case 'VOIDED':
        return [{ at: r.at, action: 'VOIDED', version, byRole: 'REVIEWER', byDepartment: r.departmentCode, by: r.departmentCode, reason: r.reason }];
      case 'RECALLED':
        return [{ at: r.at, action: 'RECALLED', version, byRole: r.byRole, by: r.by, reason: r.note }];
    }
  });
  // At the same instant a re-issue comes before the version it supersedes is marked.
  const rank = { ISSUED: 0, REISSUED: 0, SUPERSEDED: 1, VOIDED: 2, RECALLED: 3 };
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime() || rank[a.action] - rank[b.action] || a.version - b.version);
}

const historyView = (h: HistoryEntry) => ({ ...h, at: h.at.toISOString(), byDepartment: h.byDepartment ?? null, reason: h.reason ?? null });

/**
 * What the public sees of free text written by staff: not the words (a
 * reviewer's reasons may name people, ID numbers, phones), but what happened
 * and which department answers for it (docs/security.md, "What the public sees").
 */
function publicVoidReason(permit: Permit): string | null {
  const voided = permit.voided;
  if (!voided) return null;
  const item = permit.doc.items.find((i) => i.licenceId === voided.licenceId);
  const ending = voided.ending ? licenceStatusText(voided.ending) : { zh: '已终止', en: 'Ended' };
  return item ? `${item.itemNameZh}（${item.departmentNameZh}）${ending.zh} / ${item.itemNameEn} (${item.departmentNameEn}): ${ending.en}` : `单项许可${ending.zh} / A licence: ${ending.en}`;
}

function publicNotPermitted(item: { departmentNameZh: string; departmentNameEn: string }): string[] {
  return [`不予许可，理由见${item.departmentNameZh}的决定书 / Not permitted; the reasons are in the decision of ${item.departmentNameEn}`];
}

/** A sole trader's (个体工商户, credit code 92…) address may be a home: the public sees it to the district only. */
function publicAddress(holder: PermitVersionDoc['holder']): string | null {
  if (!holder.businessAddress) return null;
  if (!holder.creditCode.startsWith('92')) return holder.businessAddress;
  const district = /^(.*?[区县])/.exec(holder.businessAddress)?.[1];
  return district ? `${district}（个体工商户，详址不公开）` : '（个体工商户，地址不公开）';
}

export function permitView(permit: Permit, identity: Identity) {
  const doc = permit.doc;
  const privileged = isPrivileged(identity, doc);
  const qrContent = permitQrContent(doc.code, doc.qr);
  return {
    id: doc._id,
    code: doc.code,
    version: doc.version,
    status: permit.status,
    industryCode: doc.industryCode,
    industryNameZh: doc.industryNameZh,
    industryNameEn: doc.industryNameEn,
    holderName: doc.holder.companyName,
    holderCreditCode: doc.holder.creditCode,
    legalRepresentative: privileged ? doc.holder.legalRepresentative : maskPersonName(doc.holder.legalRepresentative),
    businessAddress: privileged ? doc.holder.businessAddress : publicAddress(doc.holder),
    applicationId: doc.applicationId,
    applicationNumber: doc.applicationNumber,
    licenceIdentifier: doc.licenceIdentifier,
    items: doc.items.map((item) => ({
      ...item,
      notPermittedReasons: item.permitted ? null : privileged ? item.reasons : publicNotPermitted(item),
      licence: item.licenceId ? { __typename: item.licenceType, id: item.licenceId } : null,
    })),
    issuedAt: doc.issuedAt.toISOString(),
    voidedAt: permit.voided?.at.toISOString() ?? null,
    voidReason: privileged ? (permit.voided?.reason ?? null) : publicVoidReason(permit),
    voidedByLicenceId: permit.voided?.licenceId ?? null,
    recalledAt: permit.recalled?.at.toISOString() ?? null,
    supersededById: permit.superseded?.supersededBy ?? null,
    scanUrl: qrContent,
    qrContent,
    _permit: permit,
  };
}

/** What the Permit resolvers hand their fields: the view, the stored permit, and (from a reference) each licence's live status. */
export type PermitView = ReturnType<typeof permitView> & { liveItems?: { licence?: { status?: string | null } | null }[] | null };

async function requirePermit(store: PermitStore, id: string, field = 'permitId'): Promise<Permit> {
  const permit = await store.byId(id);
  if (!permit) throw notFound({ zh: '综合许可凭证', en: 'permit' }, field, id);
  return permit;
}

const VERIFICATION_TEXT: Record<VerificationResult, { zh: string; en: string }> = {
  AUTHENTIC: { zh: '二维码真实有效，由顺义区政务服务局签发', en: 'Authentic: signed by the Shunyi District Government Service Bureau' },
  REGISTERED: { zh: '凭证编码已登记（未携带签名，仅按编码查询）', en: 'The code is registered (no signature to check: looked up by code)' },
  SUPERSEDED: { zh: '该版本已换发，请以最新版本为准', en: 'This version has been replaced; the current version is given' },
  BAD_SIGNATURE: { zh: '签名无效：二维码可能被篡改', en: 'Invalid signature: the code may have been tampered with' },
  UNKNOWN_KEY: { zh: '签名密钥未知：二维码不是本平台签发的', en: 'Unknown signing key: not issued by this platform' },
  UNKNOWN_CODE: { zh: '未找到该凭证编码', en: 'No permit has this code' },
  MALFORMED: { zh: '无法识别的二维码内容', en: 'Unrecognised QR content' },
};

/** Whether a valid version lists an item as not permitted that the request now shows permitted: the bureau should re-issue. */
function reissueDue(permit: Permit, request: PermitRequest | null): boolean {
  if (permit.status !== 'VALID' || !request) return false;
  return permit.doc.items.some((i) => !i.permitted && request.items.some((r) => r.itemCode === i.itemCode && r.permitted));
}

export function permitResolvers(): Resolvers {
  return {
    // Each licence stub carries its type name (permitView): the department that owns the type resolves the rest.
    SingleLicence: { __resolveType: (obj) => obj.__typename ?? null },
    Application: {
      __resolveReference: (ref) => ({ id: ref.id }),
      // The same rule as permitForApplication: the holder and the bureau.
      permit: async (application, _, ctx) => {
        const permit = await new PermitStore(ctx.db).latest(application.id);
        return permit && isPrivileged(ctx.identity, permit.doc) ? permitView(permit, ctx.identity) : null;
      },
    },
    Permit: {
      // With `overallState` asked for, the gateway hands over each licence's live status (@requires).
      __resolveReference: async (ref, ctx) => {
        const permit = await new PermitStore(ctx.db).byId(ref.id);
        return permit ? { ...permitView(permit, ctx.identity), liveItems: ref.items } : null;
      },
      overallState: (permit) =>
        deriveOverallState(
          permit._permit.status,
          permit.items.map((item, i) => ({ permitted: item.permitted, hasLicence: item.licence !== null, licenceStatus: permit.liveItems?.[i]?.licence?.status ?? null })),
        ),
      // Rendered once at issue and stored with the version.
      qrSvg: (permit) => permit._permit.doc.qrImages?.svg ?? qrSvg(permit.qrContent),
      qrPngBase64: (permit) => permit._permit.doc.qrImages?.pngBase64 ?? qrPngBase64(permit.qrContent),
      // Only a valid version with a noted item can be due: spare the others a query.
      reissueDue: async (permit, _, ctx) =>
        permit._permit.status === 'VALID' && permit.items.some((i) => !i.permitted) ? reissueDue(permit._permit, await new PermitStore(ctx.db).request(permit.applicationId)) : false,
      // A version's history is its own and its predecessors' (the holder and the bureau only).
      history: async (permit, _, ctx) => {
        if (!isPrivileged(ctx.identity, permit._permit.doc)) return null;
        const { records } = await new PermitStore(ctx.db).versions(permit.applicationId);
        return history(records).filter((h) => h.version <= permit.version).map(historyView);
      },
      supersededBy: async (permit, _, ctx) => {
        if (!permit.supersededById) return null;
        const newer = await new PermitStore(ctx.db).byId(permit.supersededById);
        return newer ? permitView(newer, ctx.identity) : null;
      },
      currentVersion: async (permit, _, ctx) => {
        // Only a superseded version has a newer one: spare the scan a query otherwise.
        if (permit.status !== 'SUPERSEDED') return permit;
        const current = await new PermitStore(ctx.db).latest(permit.applicationId);
        return current ? permitView(current, ctx.identity) : null;
      },
    },
    Query: {
      scanPermit: async (_, args, ctx) => {
        const permit = await new PermitStore(ctx.db).byCode(normaliseCode(args.code));
        return permit ? permitView(permit, ctx.identity) : null;
      },
      verifyPermit: async (_, args, ctx) => {
        const store = new PermitStore(ctx.db);
        // `authentic`: true or false once a signature was checked, null when none was (docs/qr.md).
        const answer = async (result: VerificationResult, permit: Permit | null, authentic: boolean | null) => {
          // A tampered code, or one signed by a key nobody published, gets no permit data: it proves nothing.
          const shown = permit && ['AUTHENTIC', 'REGISTERED', 'SUPERSEDED'].includes(result) ? permit : null;
          const current = shown ? await store.latest(shown.doc.applicationId) : null;
          return {
            result,
            signatureChecked: authentic !== null,
            authentic,
            registered: permit !== null,
            messageZh: VERIFICATION_TEXT[result].zh,
            messageEn: VERIFICATION_TEXT[result].en,
            permit: shown ? permitView(shown, ctx.identity) : null,
            current: current ? permitView(current, ctx.identity) : null,
          };
        };
        const parsed = parseQrContent(args.qrContent);
        if (!parsed) return answer('MALFORMED', null, null);
        const permit = await store.byCode(parsed.code);
        if (!permit) return answer('UNKNOWN_CODE', null, null);
        let authentic: boolean | null = null;
        if (parsed.fields) {
          const check = await verifyQr(parsed.fields, await publishedKeys());
          if (check === 'UNKNOWN_KEY') return answer(check, permit, null);
          if (check === 'BAD_SIGNATURE') return answer(check, permit, false);
          authentic = true;
        }
        if (permit.status === 'SUPERSEDED') return answer('SUPERSEDED', permit, authentic);
        return answer(authentic ? 'AUTHENTIC' : 'REGISTERED', permit, authentic);
      },
      permitSigningKeys: () => publishedKeys(),
      permit: async (_, args, ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN', 'REVIEWER');
        const permit = await new PermitStore(ctx.db).byId(args.id);
        return permit && mayReadHistory(ctx.identity, permit.doc) ? permitView(permit, ctx.identity) : null;
      },
      permitCertificate: async (_, args, ctx) => {
        // Printed for its holder and by the bureau; a department reads a permit, it does not print it.
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const permit = await new PermitStore(ctx.db).byCode(normaliseCode(args.code));
        return permit && isPrivileged(ctx.identity, permit.doc) ? permitView(permit, ctx.identity) : null;
      },
      permitForApplication: async (_, args, ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const permit = await new PermitStore(ctx.db).latest(args.applicationId);
        return permit && isPrivileged(ctx.identity, permit.doc) ? permitView(permit, ctx.identity) : null;
      },
      permitHistory: async (_, args, ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN', 'REVIEWER');
        const store = new PermitStore(ctx.db);
        const permit = await requirePermit(store, args.permitId);
        if (!mayReadHistory(ctx.identity, permit.doc)) {
          throw platformError('FORBIDDEN', '只有持证人、发证机关和审批部门可查看凭证履历', 'Only the holder, the bureau and the deciding departments may read this history', {
            field: 'permitId',
          });
        }
        return history((await store.versions(permit.doc.applicationId)).records).map(historyView);
      },
      permitRequests: async (_, _args, ctx) => {
        requireRole(ctx.identity, 'ISSUER', 'ADMIN');
        const store = new PermitStore(ctx.db);
        const requests = await store.requests.find({ record: 'REQUEST' }).sort({ receivedAt: 1 }).limit(200).toArray();
        const ids = requests.map((r) => r.applicationId);
        // The bureau's list (a sweep over the requests); whether each is issued, by id.
        const issued = new Set((await store.codes.find({ applicationId: { $in: ids } }).project({ applicationId: 1 }).toArray()).map((p) => p.applicationId as string));
        return (requests as PermitRequestDoc[]).map((r) => ({
          applicationId: r.applicationId,
          applicationNumber: r.applicationNumber,
          holderName: r.holder.companyName,
          industryNameZh: r.industryNameZh,
          issued: issued.has(r.applicationId),
        }));
      },
      permitsIssuedPerWeek: async (_, { weeks }, ctx) => {
        requireRole(ctx.identity, 'CLERK', 'ISSUER', 'ADMIN', 'ANALYST');
        const n = weeks ?? 12;
        if (!Number.isInteger(n) || n < 1 || n > 104) throw invalidInput([{ path: 'weeks', code: 'OUT_OF_RANGE', messageZh: '周数应为 1–104', messageEn: 'Weeks: 1–104' }]);
        const thisWeek = mondayOf(beijingDayNumber(new Date()));
        const first = thisWeek - 7 * (n - 1);
        // A sweep over first versions (a list for the bureau, never a scan).
        const issued = (await new PermitStore(ctx.db).permits.find({ record: 'VERSION', version: 1 } as never).project({ industryCode: 1, issuedAt: 1 }).toArray()) as { industryCode: string; issuedAt: Date }[];
        const counts = new Map<string, number>();
        for (const permit of issued) {
          const week = mondayOf(beijingDayNumber(permit.issuedAt));
          if (week >= first) counts.set(`${permit.industryCode}|${week}`, (counts.get(`${permit.industryCode}|${week}`) ?? 0) + 1);
        }
        const industries = [...new Set([...counts.keys()].map((k) => k.split('|')[0]))].sort();
        return industries.flatMap((industryCode) =>
          Array.from({ length: n }, (_, i) => first + 7 * i).map((week) => ({ weekStart: dateOf(week), industryCode, issued: counts.get(`${industryCode}|${week}`) ?? 0 })),
        );
      },
      permitsAwaitingReissue: async (_, _args, ctx) => {
        requireRole(ctx.identity, 'ISSUER', 'ADMIN');
        const store = new PermitStore(ctx.db);
        // Requests that changed after the decision are the only candidates.
        const changed = [...new Set((await store.requests.find({ record: 'ITEM_OUTCOME' }).project({ applicationId: 1 }).toArray()).map((r) => r.applicationId as string))];
        const due = [];
        for (const applicationId of changed) {
          const latest = await store.latest(applicationId);
          if (latest && reissueDue(latest, await store.request(applicationId))) due.push(permitView(latest, ctx.identity));
        }
        return due;
      },
    },
    Mutation: {
      issuePermit: async (_, args, ctx) => {
        requireRole(ctx.identity, 'ISSUER');
        const store = new PermitStore(ctx.db);
        const request = await store.request(args.applicationId);
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
        const [ended] = await store.endingsOf(licenceIds);
        if (ended) {
          const item = request.items.find((i) => i.licenceId === ended._id)!;
          throw platformError(
            'WRONG_STATE',
            `「${item.itemNameZh}」许可证已终止（${ended.ending}），不能发放综合许可凭证`,
            `The licence for "${item.itemNameEn}" has ended (${ended.ending}); no permit can be issued`,
            { field: 'applicationId' },
          );
        }
        const doc = await insertVersion(store, request, { previous: null, cause: 'ISSUE', actor: { role: ctx.identity.role, subject: ctx.identity.subject } });
        if (!doc) throw platformError('WRONG_STATE', '该申请的综合许可凭证已发放', 'The permit for this application is already issued', { field: 'applicationId' });
        ctx.kickOutbox();
        ctx.log.info({ permitId: doc._id, code: doc.code }, 'permit issued');
        // A licence that ended while we were issuing: its event found no permit yet, so void now.
        await voidIfEnded(store, licenceIds, ctx.log);
        return permitView((await store.byId(doc._id))!, ctx.identity);
      },
      reissuePermit: async (_, args, ctx) => {
        requireRole(ctx.identity, 'ISSUER');
        if (!args.reason.trim()) throw platformError('BAD_USER_INPUT', '必须说明换发原因', 'A reason is required', { field: 'reason' });
        const store = new PermitStore(ctx.db);
        const previous = await requirePermit(store, args.permitId);
        if (previous.status !== 'VALID') {
          throw platformError('WRONG_STATE', `该凭证状态为 ${previous.status}，不能换发`, `A ${previous.status} permit cannot be re-issued`, { field: 'permitId' });
        }
        const request = (await store.request(previous.doc.applicationId))!;
        const doc = await insertVersion(store, request, {
          previous,
          cause: 'ITEM_PERMITTED',
          actor: { role: ctx.identity.role, subject: ctx.identity.subject },
          reason: args.reason.trim(),
        });
        if (!doc) throw platformError('CONFLICT', '该凭证刚刚已被换发', 'This permit was just re-issued by someone else', { field: 'permitId' });
        ctx.kickOutbox();
        ctx.log.info({ permitId: doc._id, supersedes: previous.id }, 'permit re-issued');
        await voidIfEnded(store, doc.items.flatMap((i) => (i.licenceId ? [i.licenceId] : [])), ctx.log);
        return permitView((await store.byId(doc._id))!, ctx.identity);
      },
      recordPermitRecall: async (_, args, ctx) => {
        requireRole(ctx.identity, 'ISSUER');
        if (!args.note.trim()) throw platformError('BAD_USER_INPUT', '必须填写收回情况说明', 'A note on the recall is required', { field: 'note' });
        const store = new PermitStore(ctx.db);
        const permit = await requirePermit(store, args.permitId);
        const already = () => platformError('WRONG_STATE', '该凭证已登记收回', 'The recall is already recorded', { field: 'permitId' });
        if (permit.recalled) throw already();
        if (permit.status !== 'VOID') throw platformError('WRONG_STATE', '只有已作废的凭证才能登记收回', 'Only a void permit is recalled', { field: 'permitId' });
        // Void is for good, so the check above cannot go stale; the recall itself is claimed once.
        const recorded = await insertOnce(store.permits, {
          _id: `${permit.id}:RECALLED`,
          record: 'RECALLED',
          applicationId: permit.doc.applicationId,
          permitId: permit.id,
          code: permit.doc.code,
          at: new Date(),
          byRole: ctx.identity.role,
          by: ctx.identity.subject,
          note: args.note.trim(),
        });
        if (!recorded) throw already();
        return permitView((await store.byId(permit.id))!, ctx.identity);
      },
    },
  };
}
