import type { Answers, IndustryDefinition, ItemDefinition } from '../../../shared/catalogue';
import { invalidInput, notFound } from '../../../shared/errors';
import type { Catalogue } from '../catalogue';
import { answerProblems, applicableItems, buildForm, departmentOf, mergeMaterials } from '../catalogue';

/** Guide and form resolvers: read-only views of the catalogue, open to everyone. */
export function requireIndustry(catalogue: Catalogue, code: string, field = 'industryCode'): IndustryDefinition {
  const industry = catalogue.industry(code);
  if (!industry) throw notFound({ zh: '行业', en: 'industry' }, field, code);
  return industry;
}

function parseAnswers(industry: IndustryDefinition, answers: unknown, requireAll: boolean, field = 'answers'): Answers {
  if (answers === null || answers === undefined) return {};
  if (typeof answers !== 'object' || Array.isArray(answers)) {
    throw invalidInput([
      { path: field, code: 'INVALID_TYPE', messageZh: '情形回答须为对象', messageEn: 'Answers must be an object' },
    ]);
  }
  const problems = answerProblems(industry, answers as Answers, requireAll).map((p) => ({
    ...p,
    path: p.path.replace(/^answers/, field),
  }));
  if (problems.length) throw invalidInput(problems);
  return answers as Answers;
}

export { parseAnswers };

export function itemView(item: ItemDefinition) {
  const dept = departmentOf(item);
  return {
    ...item,
    departmentCode: dept.code,
    departmentNameZh: dept.nameZh,
    departmentNameEn: dept.nameEn,
    remedy: dept.remedy,
    illustrative: item.illustrative ?? [],
  };
}

export function industryView(industry: IndustryDefinition, catalogue: Catalogue) {
  return {
    ...industry,
    illustrative: industry.illustrative ?? [],
    items: industry.items.map((entry) => ({ when: entry.when ?? null, item: itemView(catalogue.item(entry.itemCode)) })),
  };
}

export function catalogueQueries(catalogue: Catalogue) {
  return {
    industries: () => catalogue.industries.map((i) => industryView(i, catalogue)),
    industry: (_: unknown, args: { code: string }) => {
      const industry = catalogue.industry(args.code);
      return industry ? industryView(industry, catalogue) : null;
    },
    guide: (_: unknown, args: { industryCode: string; answers?: unknown }) => {
      const industry = requireIndustry(catalogue, args.industryCode);
      const given = args.answers === null || args.answers === undefined ? null : parseAnswers(industry, args.answers, false);
      const items = applicableItems(catalogue, industry, given);
      return {
        industry: industryView(industry, catalogue),
        answers: given,
        items: items.map(itemView),
        materials: mergeMaterials(items),
        // Items are handled in parallel after one acceptance, so the applicant waits for the slowest.
        committedDays: Math.max(0, ...items.map((i) => i.committedDays)),
        sumOfCommittedDays: items.reduce((sum, i) => sum + i.committedDays, 0),
        sumOfStatutoryDays: items.reduce((sum, i) => sum + i.statutoryDays, 0),
      };
    },
    applicationForm: (_: unknown, args: { industryCode: string; answers?: unknown }) => {
      const industry = requireIndustry(catalogue, args.industryCode);
      const given = args.answers === null || args.answers === undefined ? null : parseAnswers(industry, args.answers, false);
      const items = applicableItems(catalogue, industry, given);
      return {
        industryCode: industry.code,
        mergedForm: industry.mergedForm,
        itemCodes: items.map((i) => i.code),
        sections: buildForm(industry, items),
      };
    },
  };
}
