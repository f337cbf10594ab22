import DataLoader from 'dataloader';
import type { IndustryDefinition } from '../../../shared/catalogue';
import { notFound } from '../../../shared/errors';
import { requireRole, type Role } from '../../../shared/identity';
import { department } from '../../../shared/registry';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { buildCatalogue, type Catalogue } from '../catalogue';
import { editionsFor } from '../editions';
import { checkEntrustmentInput, readinessOf, RolloutBoard, stageOf, targetsOf, type EntrustmentRevision, type Stage, type StageStep } from '../rollout';
import { Archive, verifyChain } from '../archive';
import { checkWorkTeamInput, WorkTeamStore, type Member, type WorkTeamRevision } from '../work-team';
import type { Resolvers } from '../__generated__/resolver-types';

type Ctx = SubgraphContext;

/** Who runs the reform day to day: the bureau's staff, the departments' staff and the analysts (not applicants, not the public). */
const STAFF: Role[] = ['CLERK', 'ISSUER', 'ADMIN', 'ANALYST', 'REVIEWER', 'INSPECTOR'];
const BOARD_READERS: Role[] = ['CLERK', 'ISSUER', 'ADMIN', 'ANALYST'];

/** The newest published edition, or null before the first is published. */
async function publishedCatalogue(ctx: Ctx): Promise<Catalogue | null> {
  return (await editionsFor(ctx.db).latestPublished()) ? editionsFor(ctx.db).currentEdition() : null;
}

/** What every entry of a board shares, read once per request: the newest published edition, and the entrustments of the items listed. */
interface BoardContext {
  published: Catalogue | null;
  entrusted: Map<string, EntrustmentRevision>;
}

async function boardContext(ctx: Ctx, itemCodes: string[]): Promise<BoardContext> {
  const [published, entrusted] = await Promise.all([publishedCatalogue(ctx), new RolloutBoard(ctx.db).latestEntrustments([...new Set(itemCodes)])]);
  return { published, entrusted };
}

/** An industry on the board: its stage and history, its readiness against the newest published edition, the plan's targets. */
async function rolloutEntry(ctx: Ctx, industry: IndustryDefinition, catalogue: Catalogue, log?: StageStep[], shared?: BoardContext) {
  const { published, entrusted } = shared ?? (await boardContext(ctx, industry.items.map((i) => i.itemCode)));
  const history = log ?? (await new RolloutBoard(ctx.db).history(industry.code));
  const publishedIndustry = published?.industry(industry.code);
  const checklist = readinessOf(industry, publishedIndustry ? { catalogue: published!, industry: publishedIndustry } : null, catalogue, entrusted);
  const { targets, late } = targetsOf(history);
  return {
    industryCode: industry.code,
    industryNameZh: industry.nameZh,
    stage: stageOf(history),
    since: (history.at(-1)?.at ?? new Date(0)).toISOString(),
    checklist,
    ready: checklist.every((c) => c.met),
    targets,
    late,
    history: history.map((s) => ({ from: s.from, to: s.to, reason: s.reason, by: s.by, at: s.at.toISOString() })),
  };
}

const entrustmentView = (e: EntrustmentRevision) => ({ ...e, revision: e.seq, recordedBy: e.by, recordedAt: e.at.toISOString() });

const memberView = (m: Member) => ({ ...m, departmentNameZh: department(m.departmentCode)?.nameZh ?? m.departmentCode, departmentNameEn: department(m.departmentCode)?.nameEn ?? m.departmentCode });
const workTeamView = (t: WorkTeamRevision) => ({ ...t, revision: t.seq, members: t.members.map(memberView), publishedBy: t.by, publishedAt: t.at.toISOString() });

/** The industries' stages, one batched read per request however many industries a query lists. */
const stageLoaders = new WeakMap<object, DataLoader<string, Stage>>();
function stageLoader(ctx: Ctx): DataLoader<string, Stage> {
  let loader = stageLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (codes) => {
      const logs = await new RolloutBoard(ctx.db).histories(codes);
      return codes.map((code) => stageOf(logs.get(code) ?? []));
    });
    stageLoaders.set(ctx, loader);
  }
  return loader;
}

/** The board's industries: the newest published edition's, then any only in the draft (not yet published). */
async function boardIndustries(ctx: Ctx): Promise<{ industry: IndustryDefinition; catalogue: Catalogue }[]> {
  const published = await publishedCatalogue(ctx);
  const draft = await editionsFor(ctx.db).draft();
  const draftCatalogue = draft ? buildCatalogue(draft.data, 'draft') : null;
  const listed = (published?.industries ?? []).map((industry) => ({ industry, catalogue: published! }));
  const draftOnly = (draftCatalogue?.industries ?? []).filter((i) => !published?.industry(i.code)).map((industry) => ({ industry, catalogue: draftCatalogue! }));
  return [...listed, ...draftOnly];
}

export function programmeResolvers(): Resolvers {
  return {
    Query: {
      rolloutBoard: async (_parent, _args, ctx) => {
        requireRole(ctx.identity, ...BOARD_READERS);
        const industries = await boardIndustries(ctx);
        const [logs, shared] = await Promise.all([
          new RolloutBoard(ctx.db).histories(industries.map((i) => i.industry.code)),
          boardContext(ctx, industries.flatMap((i) => i.industry.items.map((x) => x.itemCode))),
        ]);
        return Promise.all(industries.map(({ industry, catalogue }) => rolloutEntry(ctx, industry, catalogue, logs.get(industry.code), shared)));
      },
      entrustments: async (_parent, { itemCode }, ctx) => {
        requireRole(ctx.identity, ...BOARD_READERS);
        return (await new RolloutBoard(ctx.db).entrustments.history(itemCode)).map(entrustmentView);
      },
      archiveRecord: async (_parent, { applicationId }, ctx) => {
        requireRole(ctx.identity, 'CLERK', 'ISSUER', 'ADMIN');
        const record = await new Archive(ctx.db.db!).recordOf(applicationId);
        return record ? { ...record, sealedAt: record.sealedAt.toISOString() } : null;
      },
      archiveVerification: async (_parent, _args, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        const result = verifyChain(await new Archive(ctx.db.db!).chain());
        return { ...result, valid: result.problems.length === 0 };
      },
      workTeam: async (_parent, _args, ctx) => {
        requireRole(ctx.identity, ...STAFF);
        const latest = await new WorkTeamStore(ctx.db).latest();
        return latest ? workTeamView(latest) : null;
      },
      workTeamContact: async (_parent, { departmentCode }, ctx) => {
        requireRole(ctx.identity, ...STAFF);
        const member = (await new WorkTeamStore(ctx.db).latest())?.members.find((m) => m.departmentCode === departmentCode);
        return member ? memberView(member) : null;
      },
    },
    Mutation: {
      recordEntrustment: async (_parent, { input }, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        // An item of the newest published edition, or one only in the draft so far.
        const published = await publishedCatalogue(ctx);
        const catalogue = published?.items.some((i) => i.code === input.itemCode) ? published : buildCatalogue(await editionsFor(ctx.db).draftData(), 'draft');
        checkEntrustmentInput(input, catalogue);
        const item = catalogue.item(input.itemCode);
        const content = {
          itemCode: item.code,
          departmentCode: item.department,
          acceptanceEntrusted: input.acceptanceEntrusted,
          approvalAuthorised: input.approvalAuthorised,
          documentReference: input.documentReference.trim(),
          signedOn: input.signedOn,
        };
        return entrustmentView(await new RolloutBoard(ctx.db).entrustments.publish(item.code, content, ctx.identity.subject, input.basedOnRevision));
      },
      changeRolloutStage: async (_parent, { industryCode, stage, reason }, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        const found = (await boardIndustries(ctx)).find((i) => i.industry.code === industryCode);
        if (!found) throw notFound({ zh: '行业', en: 'industry' }, 'industryCode', industryCode);
        const board = new RolloutBoard(ctx.db);
        await board.change(industryCode, stage, reason, ctx.identity.subject, async () => (await rolloutEntry(ctx, found.industry, found.catalogue)).checklist);
        ctx.log.info({ industryCode, stage }, 'rollout stage changed');
        return rolloutEntry(ctx, found.industry, found.catalogue);
      },
      publishWorkTeam: async (_parent, { input }, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        const content = checkWorkTeamInput(input);
        return workTeamView(await new WorkTeamStore(ctx.db).publish(content, ctx.identity.subject, input.basedOnRevision));
      },
    },
    Industry: {
      rolloutState: (industry, _args, ctx) => stageLoader(ctx).load(industry.code),
      rollout: async (industry, _args, ctx) => {
        requireRole(ctx.identity, ...BOARD_READERS);
        const catalogue = await editionsFor(ctx.db).edition(industry.edition);
        return rolloutEntry(ctx, catalogue.industry(industry.code)!, catalogue);
      },
    },
  };
}
