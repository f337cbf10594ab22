import { invalidInput, notFound, platformError } from '../../../shared/errors';
import { newEvent } from '../../../shared/events';
import { isDuplicateKey } from '../../../shared/db';
import { requireRole, type Identity } from '../../../shared/identity';
import { department } from '../../../shared/registry';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { validateFormValues } from '../../../shared/validation';
import { applicableItems, buildForm, submittedValue, type Catalogue } from '../catalogue';
import { editionsFor } from '../editions';
import { ApplicationStore, type ApplicationDoc, type ItemOutcomeDoc } from '../store';
import { catalogueFor, parseAnswers, requireIndustry } from './catalogue';

type Ctx = SubgraphContext;

function canSee(identity: Identity, app: ApplicationDoc): boolean {
  if (['CLERK', 'ISSUER', 'ADMIN'].includes(identity.role)) return true;
  return identity.role === 'APPLICANT' && identity.creditCode === app.creditCode;
}

/** The application as GraphQL shows it; item states come from the recorded outcomes. */
export function applicationView(app: ApplicationDoc, outcomes: ItemOutcomeDoc[], catalogue: Catalogue, identity: Identity) {
  const industry = catalogue.industry(app.industryCode);
  return {
    id: app._id,
    number: app.number,
    industryCode: app.industryCode,
    industryNameZh: industry?.nameZh ?? app.industryCode,
    edition: app.edition,
    channel: app.channel,
    submittedByClerk: app.submittedByClerk ?? null,
    status: app.status,
    holderName: app.holderName,
    creditCode: app.creditCode,
    answers: app.answers,
    values: canSee(identity, app) && identity.role !== 'ANALYST' ? app.values : null,
    items: app.items.map((entry) => {
      const item = catalogue.item(entry.itemCode);
      const outcome = outcomes.find((o) => o.itemCode === entry.itemCode);
      return {
        itemCode: entry.itemCode,
        itemNameZh: item.nameZh,
        departmentCode: entry.departmentCode,
        departmentNameZh: department(entry.departmentCode)?.nameZh ?? entry.departmentCode,
        status: outcome?.decision ?? (app.status === 'SUBMITTED' ? 'PENDING' : 'DISPATCHED'),
        reviewId: `${app._id}:${entry.itemCode}`,
        licenceId: outcome?.licenceId ?? null,
        reasons: outcome?.reasons ?? null,
        decidedAt: outcome?.decidedAt.toISOString() ?? null,
      };
    }),
    submittedAt: app.submittedAt.toISOString(),
    acceptedAt: app.acceptedAt?.toISOString() ?? null,
  };
}

/** An application is always shown with the catalogue edition it was made under. */
async function view(ctx: Ctx, store: ApplicationStore, app: ApplicationDoc) {
  const outcomes = (await store.outcomesFor([app._id])).get(app._id) ?? [];
  return applicationView(app, outcomes, await editionsFor(ctx.db).edition(app.edition), ctx.identity);
}

export function applicationResolvers() {
  return {
    Query: {
      application: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const store = new ApplicationStore(ctx.db);
        const app = await store.applications.findOne({ _id: args.id });
        if (!app || !canSee(ctx.identity, app)) return null;
        return view(ctx, store, app);
      },
      applications: async (_: unknown, args: { status?: ApplicationDoc['status'] }, ctx: Ctx) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK', 'ISSUER', 'ADMIN');
        const store = new ApplicationStore(ctx.db);
        const filter: Partial<ApplicationDoc> = {};
        if (args.status) filter.status = args.status;
        if (ctx.identity.role === 'APPLICANT') filter.creditCode = ctx.identity.creditCode;
        const apps = await store.applications.find(filter).sort({ submittedAt: -1 }).limit(200).toArray();
        const outcomes = await store.outcomesFor(apps.map((a) => a._id));
        const editions = editionsFor(ctx.db);
        return Promise.all(
          apps.map(async (a) => applicationView(a, outcomes.get(a._id) ?? [], await editions.edition(a.edition), ctx.identity)),
        );
      },
    },
    Mutation: {
      submitApplication: async (
        _: unknown,
        args: { input: { industryCode: string; answers: unknown; values: unknown } },
        ctx: Ctx,
      ) => {
        requireRole(ctx.identity, 'APPLICANT', 'CLERK');
        const catalogue = await catalogueFor(ctx);
        const industry = requireIndustry(catalogue, args.input.industryCode, 'input.industryCode');
        const answers = parseAnswers(industry, args.input.answers, true, 'input.answers');
        const items = applicableItems(catalogue, industry, answers);
        const fields = buildForm(industry, items).flatMap((s) => s.fields);
        const values = args.input.values;
        if (typeof values !== 'object' || values === null || Array.isArray(values)) {
          throw invalidInput([
            { path: 'input.values', code: 'INVALID_TYPE', messageZh: '填报值须为对象', messageEn: 'Values must be an object' },
          ]);
        }
        const problems = validateFormValues(fields, values as Record<string, unknown>, 'input.values');
        if (problems.length) throw invalidInput(problems);
        const formValues = values as Record<string, unknown>;
        const creditCode = String(submittedValue(formValues, items[0].code, 'creditCode'));
        const holderName = String(submittedValue(formValues, items[0].code, 'companyName'));
        if (ctx.identity.role === 'APPLICANT' && ctx.identity.creditCode !== creditCode) {
          throw platformError(
            'FORBIDDEN',
            '申请人只能以本人登录所绑定的统一社会信用代码提交申请',
            'An applicant may only apply for the credit code bound to their login',
            { field: 'input.values.creditCode' },
          );
        }
        const store = new ApplicationStore(ctx.db);
        const doc: ApplicationDoc = {
          _id: ApplicationStore.newId(),
          number: ApplicationStore.newNumber(),
          industryCode: industry.code,
          edition: catalogue.edition,
          channel: ctx.identity.role === 'CLERK' ? 'WINDOW' : 'ONLINE',
          submittedBy: ctx.identity.subject,
          ...(ctx.identity.role === 'CLERK' ? { submittedByClerk: ctx.identity.subject } : {}),
          status: 'SUBMITTED',
          creditCode,
          holderName,
          answers,
          values: formValues,
          items: items.map((i) => ({ itemCode: i.code, departmentCode: i.department })),
          submittedAt: new Date(),
        };
        for (let attempt = 0; ; attempt++) {
          try {
            await store.applications.insertOne(doc);
            break;
          } catch (error) {
            if (!isDuplicateKey(error) || attempt > 3) throw error;
            doc.number = ApplicationStore.newNumber(); // number collision: draw again
          }
        }
        ctx.log.info({ applicationId: doc._id, channel: doc.channel }, 'application submitted');
        return applicationView(doc, [], catalogue, ctx.identity);
      },
      acceptApplication: async (_: unknown, args: { id: string }, ctx: Ctx) => {
        requireRole(ctx.identity, 'CLERK');
        const store = new ApplicationStore(ctx.db);
        const app = await store.applications.findOne({ _id: args.id });
        if (!app) throw notFound({ zh: '申请', en: 'application' }, 'id', args.id);
        if (app.status !== 'SUBMITTED') {
          throw platformError('WRONG_STATE', `该申请已受理（当前状态 ${app.status}）`, `Already accepted (state ${app.status})`, {
            field: 'id',
          });
        }
        const catalogue = await editionsFor(ctx.db).edition(app.edition);
        const acceptedAt = new Date();
        // Each department gets only its own item's values plus the applicant's identity.
        const dispatches = app.items.map((entry) => {
          const item = catalogue.item(entry.itemCode);
          const keys = item.elements.map((e) => e.key);
          const values = Object.fromEntries(
            keys.map((k) => [k, submittedValue(app.values, item.code, k)]).filter(([, v]) => v !== undefined),
          );
          return newEvent(
            'ItemDispatched',
            'applications',
            entry.departmentCode,
            {
              applicationId: app._id,
              applicationNumber: app.number,
              itemCode: entry.itemCode,
              holder: { companyName: app.holderName, creditCode: app.creditCode },
              values,
              dispatchedAt: acceptedAt.toISOString(),
            },
            `ItemDispatched:${app._id}:${entry.itemCode}`,
          );
        });
        // Claim the acceptance with a unique insert that carries the events: one
        // clerk wins even under concurrency, and no crash can split state from events.
        const acceptance = { _id: app._id, acceptedAt, acceptedBy: ctx.identity.subject, applied: false, _outbox: dispatches };
        try {
          await store.acceptances.insertOne(acceptance);
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          throw platformError('WRONG_STATE', '该申请已被受理', 'This application has already been accepted', { field: 'id' });
        }
        await store.applyAcceptance(acceptance);
        ctx.kickOutbox();
        ctx.log.info({ applicationId: app._id, items: dispatches.length }, 'application accepted and dispatched');
        return view(ctx, store, (await store.applications.findOne({ _id: app._id }))!);
      },
    },
  };
}
