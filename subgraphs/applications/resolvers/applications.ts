import { calendarFor } from '../../../shared/calendar-store';
import type { Clock } from '../../../shared/clock';
import { invalidInput, platformError } from '../../../shared/errors';
import { keyedId, keyReused, priorOf, requestKey } from '../../../shared/idempotency';
import { newEvent, outbox } from '../../../shared/events';
import { requireRole, type Identity } from '../../../shared/identity';
import { department } from '../../../shared/registry';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { validateFormValues } from '../../../shared/validation';
import { itemValues, type Catalogue } from '../catalogue';
import { checkSubmission, insertSubmission, submissionDoc } from '../submission';
import { editionsFor } from '../editions';
import { deliveryOf, notificationsOf, type NotificationDoc } from '../notifications';
import { ApplicationStore } from '../store';
import { blockedItems, type Application, type ApplicationDoc } from '../application';
import { canSee, canSeeValues, requireApplication, requireOwnerOrClerk, requireStatus } from './access';
import { catalogueFor } from './catalogue';
import { clockOf, clockResolvers } from './clocks';
import { intakeResolvers } from './intake';
import { materialResolvers, materialStatuses } from './materials';
import type { Application as ApplicationType, Resolvers } from '../__generated__/resolver-types';

type Ctx = SubgraphContext;

/** The application as GraphQL shows it, from the fold of its log. */
export function applicationView(app: Application, catalogue: Catalogue, identity: Identity, clocks: Record<string, Clock | null> = {}): ApplicationType {
  const doc = app.doc;
  const industry = catalogue.industry(doc.industryCode);
  const blocked = blockedItems(app, catalogue);
  return {
    id: app.id,
    number: doc.number,
    industryCode: doc.industryCode,
    industryNameZh: industry?.nameZh ?? doc.industryCode,
    edition: doc.edition,
    channel: doc.channel,
    submittedByClerk: doc.submittedByClerk ?? null,
    cityReference: doc.city?.referenceNumber ?? null,
    status: app.status,
    holderName: app.holderName,
    creditCode: doc.creditCode,
    answers: doc.answers,
    values: canSeeValues(identity, app) ? app.values : null,
    items: doc.items.map((entry) => {
      const item = catalogue.item(entry.itemCode);
      const decided = app.outcomes.get(entry.itemCode);
      const resubmitted = app.resubmissions.get(entry.itemCode);
      // A resubmission newer than the last decision is back with the department.
      const outcome = resubmitted && resubmitted.round > (decided?.round ?? 0) ? undefined : decided;
      return {
        itemCode: entry.itemCode,
        itemNameZh: item.nameZh,
        departmentCode: entry.departmentCode,
        departmentNameZh: department(entry.departmentCode)?.nameZh ?? entry.departmentCode,
        status: outcome?.decision ?? (!app.acceptedAt ? 'PENDING' : app.dispatchedAt.has(entry.itemCode) ? 'DISPATCHED' : blocked.has(entry.itemCode) ? 'BLOCKED' : 'WAITING'),
        reviewId: `${app.id}:${entry.itemCode}`,
        licenceId: outcome?.licenceId ?? null,
        reasons: outcome?.reasons ?? null,
        decidedAt: outcome?.decidedAt.toISOString() ?? null,
        round: Math.max(decided?.round ?? 1, resubmitted?.round ?? 1),
        clock: clocks[entry.itemCode] ?? null,
      };
    }),
    submittedAt: doc.submittedAt.toISOString(),
    acceptedAt: app.acceptedAt?.toISOString() ?? null,
    commitments: doc.commitments ?? [],
    // The unified limit: items run in parallel, so the application is due when its latest item is.
    clock: Object.values(clocks).reduce<Clock | null>((latest, c) => (c && (!latest || (c.dueDate ?? '') > (latest.dueDate ?? '')) ? c : latest), null),
    materials: materialStatuses(app, catalogue),
    supplementNotice: app.supplementNotice ? { ...app.supplementNotice, noticedAt: app.supplementNotice.noticedAt.toISOString() } : null,
    supplementedAt: app.supplementedAt?.toISOString() ?? null,
    refusal: app.refusal ? { ...app.refusal, at: app.refusal.at.toISOString() } : null,
    withdrawal: app.withdrawal ? { ...app.withdrawal, at: app.withdrawal.at.toISOString() } : null,
  };
}

/** An application is always shown with the catalogue edition it was made under. */
export async function view(ctx: Ctx, _store: ApplicationStore, app: Application): Promise<ApplicationType> {
  const catalogue = await editionsFor(ctx.db).edition(app.doc.edition);
  return applicationView(app, catalogue, ctx.identity, await itemClocks(ctx, app, catalogue));
}

/** Each item's working-day clock (null before acceptance). */
async function itemClocks(ctx: Ctx, app: Application, catalogue: Catalogue) {
  if (!app.acceptedAt) return {};
  const calendar = await calendarFor(ctx.db);
  return Object.fromEntries(app.doc.items.map((entry) => [entry.itemCode, clockOf(calendar, app, catalogue, entry.itemCode)]));
}

async function notificationView(store: ApplicationStore, n: NotificationDoc) {
  return { id: n._id, applicationId: n.applicationId, kind: n.kind, titleZh: n.titleZh, titleEn: n.titleEn, bodyZh: n.bodyZh, bodyEn: n.bodyEn, at: n.at.toISOString(), delivery: await deliveryOf(store, n) };
}

/** One application as the caller may see it (null when it may not), by id: for `application(id)` and for references from other subgraphs. */
export async function visibleApplication(ctx: Ctx, id: string): Promise<ApplicationType | null> {
  requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
  const store = new ApplicationStore(ctx.db);
  const app = await store.load(id);
  if (!app || !canSee(ctx.identity, app)) return null;
  return view(ctx, store, app);
}

export function applicationResolvers(): Resolvers {
  return {
    FaceChange: {
      application: async (change, _, ctx) => {
        const store = new ApplicationStore(ctx.db);
        return view(ctx, store, await requireApplication(store, change.applicationId));
      },
    },
    Query: {
      ...materialResolvers().Query,
      ...clockResolvers().Query,
      notifications: async (_, args, ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK');
        const store = new ApplicationStore(ctx.db);
        let docs: NotificationDoc[];
        if (args.applicationId) {
          const app = await store.load(args.applicationId);
          docs = app && canSee(ctx.identity, app) ? await notificationsOf(store, app.id) : [];
        } else {
          // Everything the business was told (a sweep: a list, not a request's hot path); the window sees all.
          const filter = ctx.identity.role === 'APPLICANT' ? { creditCode: ctx.identity.creditCode } : {};
          docs = await store.notifications.find(filter).sort({ at: 1 }).limit(500).toArray();
        }
        return Promise.all(docs.sort((a, b) => a.at.getTime() - b.at.getTime()).map((n) => notificationView(store, n)));
      },
      application: (_, args, ctx) => visibleApplication(ctx, args.id),
      applications: async (_, args, ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const store = new ApplicationStore(ctx.db);
        const filter: Partial<ApplicationDoc> = {};
        if (ctx.identity.role === 'APPLICANT') filter.creditCode = ctx.identity.creditCode;
        const apps = (await store.loadMany(filter, { sort: { submittedAt: -1 } })).filter((a) => !args.status || a.status === args.status).slice(0, 200);
        return Promise.all(apps.map((a) => view(ctx, store, a)));
      },
    },
    Mutation: {
      ...intakeResolvers(view),
      ...clockResolvers().Mutation,
      ...materialResolvers().Mutation,
      submitApplication: async (_, args, ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK');
        const request = requestKey(ctx.identity, args.idempotencyKey, args.input);
        const catalogue = await catalogueFor(ctx);
        const checked = checkSubmission(catalogue, args.input, 'input');
        if (ctx.identity.role === 'APPLICANT' && ctx.identity.creditCode !== checked.creditCode) {
          throw platformError('FORBIDDEN', '申请人只能以本人登录所绑定的统一社会信用代码提交申请', 'An applicant may only apply for the credit code bound to their login', {
            field: 'input.values.creditCode',
          });
        }
        const store = new ApplicationStore(ctx.db);
        const sameRequest = (earlier: Application) => {
          if (earlier.doc.request?.inputHash !== request!.inputHash) throw keyReused();
          return earlier;
        };
        // With a key, the application's id comes from it: a retry finds the first.
        if (request) {
          const earlier = await store.load(keyedId(request));
          if (earlier) return view(ctx, store, sameRequest(earlier));
        }
        const doc: ApplicationDoc = {
          _id: request ? keyedId(request) : ApplicationStore.newId(),
          ...submissionDoc(checked, catalogue.edition),
          channel: ctx.identity.role === 'CLERK' ? 'WINDOW' : 'ONLINE',
          submittedBy: ctx.identity.subject,
          ...(ctx.identity.role === 'CLERK' ? { submittedByClerk: ctx.identity.subject } : {}),
          ...(request ? { request } : {}),
        };
        const { app, created } = await insertSubmission(store, doc, sameRequest);
        if (!created) return view(ctx, store, app);
        ctx.log.info({ applicationId: doc._id, channel: doc.channel }, 'application submitted');
        return view(ctx, store, app);
      },
      resubmitItem: async (_, args, ctx) => {
        const store = new ApplicationStore(ctx.db);
        const app = await requireApplication(store, args.applicationId);
        requireOwnerOrClerk(ctx.identity, app);
        const request = requestKey(ctx.identity, args.idempotencyKey, { applicationId: app.id, itemCode: args.itemCode, values: args.values });
        if (priorOf(app.steps, request)) return view(ctx, store, app); // asked before with this key
        const entry = app.doc.items.find((i) => i.itemCode === args.itemCode);
        if (!entry) throw platformError('BAD_USER_INPUT', `该申请不含事项「${args.itemCode}」`, `This application has no item "${args.itemCode}"`, { field: 'itemCode' });
        const catalogue = await editionsFor(ctx.db).edition(app.doc.edition);
        const item = catalogue.item(entry.itemCode);
        const values = typeof args.values === 'object' && args.values !== null && !Array.isArray(args.values) ? (args.values as Record<string, unknown>) : null;
        const resubmittable = (current: Application) => {
          const latest = current.outcomes.get(entry.itemCode);
          const pending = current.resubmissions.get(entry.itemCode);
          if (!latest || latest.decision !== 'DENIED' || (pending && pending.round > latest.round)) {
            throw platformError('WRONG_STATE', '只有不予许可的事项才能重新提交', 'Only a denied item can be handed in again', { field: 'itemCode' });
          }
          return latest;
        };
        resubmittable(app);
        if (!values) throw invalidInput([{ path: 'values', code: 'INVALID_TYPE', messageZh: '填报值须为对象', messageEn: 'Values must be an object' }]);
        // The item's own elements, as on its form; what is not given keeps the earlier value.
        const industry = catalogue.industry(app.doc.industryCode)!;
        const earlier = itemValues(industry, app.values, item);
        const merged = Object.fromEntries(item.elements.map((e) => [e.key, values[e.key] ?? earlier[e.key]]));
        const problems = validateFormValues(item.elements, Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)), 'values');
        const unknown = Object.keys(values).filter((k) => !item.elements.some((e) => e.key === k));
        for (const key of unknown) problems.push({ path: `values.${key}`, code: 'UNKNOWN_FIELD', messageZh: `事项「${item.nameZh}」没有字段「${key}」`, messageEn: `Item "${item.nameEn}" has no field "${key}"` });
        if (problems.length) throw invalidInput(problems);
        const { app: after } = await store.append(app.id, (current) => {
          const round = resubmittable(current).round + 1;
          const at = new Date();
          return {
            kind: 'RESUBMITTED',
            at,
            by: ctx.identity.subject,
            itemCode: item.code,
            round,
            values: merged,
            ...outbox([
              newEvent(
                'ItemDispatched',
                'applications',
                entry.departmentCode,
                { applicationId: app.id, applicationNumber: app.doc.number, itemCode: item.code, holder: { companyName: current.holderName, creditCode: app.doc.creditCode }, values: merged, dispatchedAt: at.toISOString(), round },
                `ItemDispatched:${app.id}:${item.code}#${round}`,
              ),
            ]),
          };
        }, request);
        ctx.log.info({ applicationId: app.id, itemCode: item.code }, 'denied item resubmitted');
        return view(ctx, store, after);
      },
      submitFaceChange: async (_, args, ctx) => {
        const store = new ApplicationStore(ctx.db);
        const app = await requireApplication(store, args.input.applicationId, 'input.applicationId');
        requireOwnerOrClerk(ctx.identity, app);
        const request = requestKey(ctx.identity, args.idempotencyKey, args.input);
        const decided = (current: Application) => {
          if (current.status !== 'DECIDED') {
            throw platformError('WRONG_STATE', '申请尚未办结，不能变更证面信息', 'The application is not decided yet; its permit face cannot change', { field: 'input.applicationId' });
          }
        };
        if (!priorOf(app.steps, request)) decided(app);
        const catalogue = await editionsFor(ctx.db).edition(app.doc.edition);
        const elements = catalogue.item(app.doc.items[0].itemCode).elements;
        const changes = Object.fromEntries(
          (['companyName', 'legalRepresentative', 'businessAddress'] as const).flatMap((k) => (args.input[k] != null ? [[k, args.input[k]]] : [])),
        );
        const fields = elements.filter((e) => e.key in changes).map((e) => ({ ...e, required: true }));
        const problems = validateFormValues(fields, changes, 'input');
        if (!args.input.reason?.trim()) problems.push({ path: 'input.reason', code: 'REQUIRED', messageZh: '必须说明变更原因', messageEn: 'A reason is required' });
        if (!Object.keys(changes).length) problems.push({ path: 'input', code: 'REQUIRED', messageZh: '没有要变更的证面信息', messageEn: 'Nothing on the face to change' });
        if (problems.length) throw invalidInput(problems);
        const requestedBy = { role: ctx.identity.role, subject: ctx.identity.subject };
        const reason = args.input.reason.trim();
        const { step } = await store.append(app.id, (current, changeId) => {
          decided(current);
          const n = current.faceChanges.length + 1;
          const payload = { applicationId: app.id, changeId, holder: { ...changes }, requestedBy, reason };
          // One change application: every department holding a licence of it, and the permit, in one step.
          const licences = new Map<string, string[]>();
          for (const outcome of current.outcomes.values()) {
            if (!outcome.licenceId) continue;
            const dept = app.doc.items.find((i) => i.itemCode === outcome.itemCode)!.departmentCode;
            licences.set(dept, [...(licences.get(dept) ?? []), outcome.licenceId]);
          }
          return {
            kind: 'FACE_CHANGED',
            at: new Date(),
            by: ctx.identity.subject,
            changeId,
            changes,
            reason,
            ...outbox([
              ...[...licences].map(([d, licenceIds]) => newEvent('LicenceFaceChanged', 'applications', d, { ...payload, licenceIds }, `LicenceFaceChanged:${changeId}:${d}`)),
              newEvent('PermitFaceChanged', 'applications', 'permit', { ...payload, n }, `PermitFaceChanged:${changeId}`),
            ]),
          };
        }, request);
        const change = step as Extract<typeof step, { kind: 'FACE_CHANGED' }> & { _outbox?: { type: string; destination: string }[] };
        const departments = (change._outbox ?? []).filter((e) => e.type === 'LicenceFaceChanged').map((e) => e.destination);
        ctx.log.info({ applicationId: app.id, changeId: change._id, departments }, 'face change submitted');
        return { id: change._id, applicationId: app.id, changes: change.changes, reason: change.reason, departments, submittedAt: change.at.toISOString() };
      },
    },
  };
}

export { requireStatus };
