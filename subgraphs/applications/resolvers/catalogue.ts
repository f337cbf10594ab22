import type { Answers, IndustryDefinition, ItemDefinition } from '../../../shared/catalogue';
import { invalidInput, notFound, platformError } from '../../../shared/errors';
import { requireRole, type Identity } from '../../../shared/identity';
import { departments } from '../../../shared/registry';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import type { Catalogue } from '../catalogue';
import { answerProblems, applicableItems, buildCatalogue, buildForm, departmentOf, isBundle, mergeMaterials } from '../catalogue';
import { DRAFT_ID, editionsFor, type EditionDoc } from '../editions';
import { heldSourceView } from '../held-sources';
import { criticalPath, favourable, industryScenarios, reduction, reformFigures, scenarioReductions } from '../reform-figures';
import type { Resolvers } from '../__generated__/resolver-types';

type Ctx = SubgraphContext;

/** Catalogue reads: open to everyone for published editions; the draft only to admins. */
export async function catalogueFor(ctx: Ctx, edition?: string | null): Promise<Catalogue> {
  const editions = editionsFor(ctx.db);
  if (!edition) return editions.currentEdition();
  if (edition === DRAFT_ID) {
    requireRole(ctx.identity, 'ADMIN');
    return buildCatalogue(await editions.draftData(), DRAFT_ID);
  }
  return editions.edition(edition);
}

export function requireIndustry(catalogue: Catalogue, code: string, field = 'industryCode'): IndustryDefinition {
  const industry = catalogue.industry(code);
  if (!industry) throw notFound({ zh: '行业', en: 'industry' }, field, code);
  return industry;
}

export function parseAnswers(industry: IndustryDefinition, answers: unknown, requireAll: boolean, field = 'answers'): Answers {
  if (answers === null || answers === undefined) return {};
  if (typeof answers !== 'object' || Array.isArray(answers)) {
    throw invalidInput([{ path: field, code: 'INVALID_TYPE', messageZh: '情形回答须为对象', messageEn: 'Answers must be an object' }]);
  }
  const problems = answerProblems(industry, answers as Answers, requireAll).map((p) => ({ ...p, path: p.path.replace(/^answers/, field) }));
  if (problems.length) throw invalidInput(problems);
  return answers as Answers;
}

export function itemView(item: ItemDefinition) {
  const dept = departmentOf(item);
  return {
    ...item,
    departmentCode: dept.code,
    departmentNameZh: dept.nameZh,
    departmentNameEn: dept.nameEn,
    remedy: dept.remedy,
    elements: item.elements.map((e) => ({ ...e, itemCodes: [item.code] })),
    decidedAfter: item.decidedAfter ?? [],
    illustrative: item.illustrative ?? [],
  };
}

/** An industry as one edition has it: what `Industry`'s fields read (its stage comes from the rollout board). */
export type IndustryView = ReturnType<typeof industryView>;

export function industryView(industry: IndustryDefinition, catalogue: Catalogue) {
  return {
    ...industry,
    edition: catalogue.edition,
    illustrative: industry.illustrative ?? [],
    items: industry.items.map((entry) => ({ when: entry.when ?? null, premisesPart: entry.premisesPart ?? null, item: itemView(catalogue.item(entry.itemCode)) })),
  };
}

function editionView(doc: EditionDoc) {
  return {
    id: doc._id,
    number: doc.number,
    status: doc.status,
    industryCount: doc.data.industries.length,
    itemCount: doc.data.items.length,
    updatedAt: doc.updatedAt.toISOString(),
    updatedBy: doc.updatedBy,
    publishedAt: doc.publishedAt?.toISOString() ?? null,
    publishedBy: doc.publishedBy ?? null,
    note: doc.note ?? null,
  };
}

const optionalAnswers = (industry: IndustryDefinition, answers: unknown) =>
  answers === null || answers === undefined ? null : parseAnswers(industry, answers, false);

/** Drops GraphQL's nulls for absent optional input fields, so stored definitions stay as the files write them. */
/** An input as GraphQL gives it (an omitted optional field may come as null) in the shape the catalogue stores (absent). */
type WithoutNulls<T> = T extends (infer U)[] ? WithoutNulls<U>[] : T extends object ? { [K in keyof T]: WithoutNulls<Exclude<T[K], null>> } : T;

function withoutNulls<T>(value: T): WithoutNulls<T> {
  if (Array.isArray(value)) return value.map(withoutNulls) as WithoutNulls<T>;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, withoutNulls(v)]),
    ) as WithoutNulls<T>;
  }
  return value as WithoutNulls<T>;
}

function requireAdmin(identity: Identity) {
  requireRole(identity, 'ADMIN');
}

export function catalogueResolvers(): Resolvers {
  return {
    Material: {
      heldBy: (material) => (material.heldBy ? heldSourceView(material.heldBy) : null),
    },
    Query: {
      // Where each department is in the API: its code, and the root fields its operations are under.
      departments: async (_, _args, ctx) => {
        const catalogue = await editionsFor(ctx.db).currentEdition();
        return departments().map((d) => ({
          code: d.code,
          nameZh: d.nameZh,
          nameEn: d.nameEn,
          queryField: d.graphqlName,
          mutationField: d.graphqlName,
          reviewType: `${d.typePrefix}Review`,
          licenceTypes: [...new Set(d.items.map((i) => i.licenceType))],
          itemCodes: catalogue.items.filter((i) => i.department === d.code).map((i) => i.code),
          reconsiderationZh: d.remedy.reconsiderationZh,
          courtZh: d.remedy.courtZh,
        }));
      },
      industries: async (_, args, ctx) => {
        const catalogue = await catalogueFor(ctx, args.edition);
        return catalogue.industries.map((i) => industryView(i, catalogue));
      },
      industry: async (_, args, ctx) => {
        const catalogue = await catalogueFor(ctx, args.edition);
        const industry = catalogue.industry(args.code);
        return industry ? industryView(industry, catalogue) : null;
      },
      guide: async (_, args, ctx) => {
        const catalogue = await catalogueFor(ctx, args.edition);
        const industry = requireIndustry(catalogue, args.industryCode);
        const given = optionalAnswers(industry, args.answers);
        const items = applicableItems(catalogue, industry, given);
        return {
          edition: catalogue.edition,
          industry: industryView(industry, catalogue),
          answers: given,
          items: items.map(itemView),
          bundle: isBundle(items),
          materials: mergeMaterials(items, industry.mergedForm),
          // Items are handled in parallel after one acceptance, in the order some must be decided in: the critical path.
          committedDays: criticalPath(items, (i) => i.committedDays),
          sumOfCommittedDays: items.reduce((sum, i) => sum + i.committedDays, 0),
          sumOfStatutoryDays: items.reduce((sum, i) => sum + i.statutoryDays, 0),
          feeYuan: items.reduce((sum, i) => sum + i.feeYuan, 0),
        };
      },
      applicationForm: async (_, args, ctx) => {
        const catalogue = await catalogueFor(ctx, args.edition);
        const industry = requireIndustry(catalogue, args.industryCode);
        const items = applicableItems(catalogue, industry, optionalAnswers(industry, args.answers));
        return {
          edition: catalogue.edition,
          industryCode: industry.code,
          mergedForm: industry.mergedForm,
          itemCodes: items.map((i) => i.code),
          sections: buildForm(industry, items),
        };
      },
      catalogueEditions: async (_, _args, ctx) => {
        requireRole(ctx.identity, 'ADMIN', 'ANALYST');
        return (await editionsFor(ctx.db).list()).map(editionView);
      },
      reformFigures: async (_, args, ctx) => {
        requireRole(ctx.identity, 'ANALYST', 'ADMIN');
        const catalogue = await catalogueFor(ctx, args.edition);
        return catalogue.industries.map((industry) => {
          const f = reformFigures(catalogue, industry);
          const scenarios = industryScenarios(catalogue, industry);
          const { least, most } = favourable(scenarios);
          const reductionsOf = (picked: typeof least) => ({
            formFields: scenarioReductions(picked.formFields).formFields,
            materials: scenarioReductions(picked.materials).materials,
            time: scenarioReductions(picked.time).time,
          });
          return {
            ...f,
            formFieldReduction: reduction(f.formFieldsSeparate, f.formFieldsMerged),
            materialReduction: reduction(f.materialsSeparate, f.materialsMerged),
            timeReduction: reduction(f.statutoryDaysSequential, f.committedDaysUnified),
            scenarios: scenarios.map((s) => ({ ...s, reductions: scenarioReductions(s) })),
            leastFavourable: reductionsOf(least),
            mostFavourable: reductionsOf(most),
          };
        });
      },
    },
    Mutation: {
      loadCatalogueFromRepository: async (_, args, ctx) => {
        requireAdmin(ctx.identity);
        return editionView(await editionsFor(ctx.db).loadRepository(ctx.identity.subject, Boolean(args.publish)));
      },
      upsertCatalogueIndustry: async (_, args, ctx) => {
        requireAdmin(ctx.identity);
        // Free strings where the catalogue has closed sets (question types): editDraft checks every rule before anything is stored.
        const input = withoutNulls(args.input) as IndustryDefinition;
        await editionsFor(ctx.db).editDraft(ctx.identity.subject, (data) => ({ ...data, industries: [...data.industries.filter((i) => i.code !== input.code), input] }), 'input');
        return industryView(input, await catalogueFor(ctx, DRAFT_ID));
      },
      removeCatalogueIndustry: async (_, args, ctx) => {
        requireAdmin(ctx.identity);
        await editionsFor(ctx.db).editDraft(ctx.identity.subject, (data) => {
          if (!data.industries.some((i) => i.code === args.code)) throw notFound({ zh: '行业', en: 'industry' }, 'code', args.code);
          return { ...data, industries: data.industries.filter((i) => i.code !== args.code) };
        });
        return editionView((await editionsFor(ctx.db).draft())!);
      },
      upsertApprovalItem: async (_, args, ctx) => {
        requireAdmin(ctx.identity);
        // Free strings where the catalogue has closed sets (form sections): editDraft checks every rule before anything is stored.
        const input = withoutNulls(args.input) as ItemDefinition;
        await editionsFor(ctx.db).editDraft(ctx.identity.subject, (data) => ({ ...data, items: [...data.items.filter((i) => i.code !== input.code), input] }), 'input');
        return itemView(input);
      },
      removeApprovalItem: async (_, args, ctx) => {
        requireAdmin(ctx.identity);
        // Refused when an industry still lists it: the checks report the dangling reference.
        await editionsFor(ctx.db).editDraft(ctx.identity.subject, (data) => {
          if (!data.items.some((i) => i.code === args.code)) throw notFound({ zh: '审批事项', en: 'approval item' }, 'code', args.code);
          return { ...data, items: data.items.filter((i) => i.code !== args.code) };
        });
        return editionView((await editionsFor(ctx.db).draft())!);
      },
      publishCatalogueEdition: async (_, args, ctx) => {
        requireAdmin(ctx.identity);
        return editionView(await editionsFor(ctx.db).publishDraft(ctx.identity.subject, args.note ?? undefined));
      },
      discardCatalogueDraft: async (_, _args, ctx) => {
        requireAdmin(ctx.identity);
        const discarded = await editionsFor(ctx.db).discardDraft(ctx.identity.subject);
        if (!discarded) throw platformError('WRONG_STATE', '没有草稿可放弃', 'There is no draft to discard');
        // What is in force now that the draft is gone.
        const inForce = await editionsFor(ctx.db).latestPublished();
        return inForce ? editionView(inForce) : null;
      },
    },
  };
}
