import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Answers, ElementDefinition, IndustryDefinition, ItemDefinition, MaterialDefinition } from '../../shared/catalogue';
import type { FieldProblem } from '../../shared/errors';
import { departments, department as departmentByCode, itemIndex } from '../../shared/registry';

/**
 * The bureau's catalogue: industries composed from the departments' items.
 * Loaded from the repository's data files and checked once at start-up, so a
 * broken reference stops the service instead of surfacing as a wrong guide.
 */
export interface Catalogue {
  industries: IndustryDefinition[];
  industry(code: string): IndustryDefinition | undefined;
  item(code: string): ItemDefinition;
}

export function loadCatalogue(file = join(__dirname, 'catalogue', 'industries.json')): Catalogue {
  const industries = JSON.parse(readFileSync(file, 'utf8')) as IndustryDefinition[];
  const items = itemIndex();
  const problems: string[] = [];
  for (const industry of industries) {
    if (industry.items.length === 0) problems.push(`${industry.code}: no items`);
    for (const entry of industry.items) {
      const item = items.get(entry.itemCode);
      if (!item) problems.push(`${industry.code}: unknown item ${entry.itemCode}`);
      else if (item.department !== entry.department) problems.push(`${industry.code}: ${entry.itemCode} belongs to ${item.department}`);
      for (const key of Object.keys(entry.when ?? {})) {
        if (!industry.questions.some((q) => q.key === key)) problems.push(`${industry.code}: condition on unknown question ${key}`);
      }
    }
    try {
      mergeElements(industry.items.map((e) => items.get(e.itemCode)!).filter(Boolean));
    } catch (error) {
      problems.push(`${industry.code}: ${(error as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`catalogue is inconsistent:\n${problems.join('\n')}`);
  const byCode = new Map(industries.map((i) => [i.code, i]));
  return {
    industries,
    industry: (code) => byCode.get(code),
    item: (code) => items.get(code)!,
  };
}

/** Checks scenario answers against the industry's questions. */
export function answerProblems(industry: IndustryDefinition, answers: Answers, requireAll: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [key, value] of Object.entries(answers)) {
    const question = industry.questions.find((q) => q.key === key);
    if (!question) {
      problems.push({
        path: `answers.${key}`,
        code: 'UNKNOWN_QUESTION',
        messageZh: `行业「${industry.nameZh}」没有问题「${key}」`,
        messageEn: `Industry "${industry.nameEn}" has no question "${key}"`,
      });
    } else if (question.type === 'BOOLEAN' && typeof value !== 'boolean') {
      problems.push({
        path: `answers.${key}`,
        code: 'INVALID_TYPE',
        messageZh: `「${question.textZh}」须回答是或否`,
        messageEn: `"${question.textEn}" must be answered true or false`,
      });
    } else if (question.type === 'ENUM' && !question.options?.some((o) => o.value === value)) {
      problems.push({
        path: `answers.${key}`,
        code: 'INVALID_OPTION',
        messageZh: `「${question.textZh}」的回答不在可选范围内`,
        messageEn: `"${question.textEn}": not one of the allowed answers`,
      });
    }
  }
  if (requireAll) {
    for (const question of industry.questions) {
      if (!(question.key in answers)) {
        problems.push({
          path: `answers.${question.key}`,
          code: 'REQUIRED',
          messageZh: `请回答「${question.textZh}」`,
          messageEn: `Please answer "${question.textEn}"`,
        });
      }
    }
  }
  return problems;
}

/** Items that apply: all of them when no answers are given (the guide for every case). */
export function applicableItems(catalogue: Catalogue, industry: IndustryDefinition, answers: Answers | null): ItemDefinition[] {
  return industry.items
    .filter((entry) => !answers || Object.entries(entry.when ?? {}).every(([key, value]) => answers[key] === value))
    .map((entry) => catalogue.item(entry.itemCode));
}

export interface MergedField extends ElementDefinition {
  /** Items that ask this element. */
  itemCodes: string[];
}

/**
 * Merges the items' elements: a key asked by several items is asked once, with
 * the strictest constraint (required if any requires it; the highest min, the
 * lowest max and maxLength; only options every item accepts).
 */
export function mergeElements(items: ItemDefinition[]): MergedField[] {
  const merged = new Map<string, MergedField>();
  for (const item of items) {
    for (const element of item.elements) {
      const seen = merged.get(element.key);
      if (!seen) {
        merged.set(element.key, { ...element, itemCodes: [item.code] });
        continue;
      }
      if (seen.type !== element.type) {
        throw new Error(`element ${element.key} is ${seen.type} in ${seen.itemCodes[0]} but ${element.type} in ${item.code}`);
      }
      seen.itemCodes.push(item.code);
      seen.required = seen.required || element.required;
      seen.min = strictest(seen.min, element.min, Math.max);
      seen.max = strictest(seen.max, element.max, Math.min);
      seen.maxLength = strictest(seen.maxLength, element.maxLength, Math.min);
      if (seen.options && element.options) {
        seen.options = seen.options.filter((o) => element.options!.some((e) => e.value === o.value));
      }
    }
  }
  return [...merged.values()];
}

function strictest(a: number | undefined, b: number | undefined, pick: (x: number, y: number) => number): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return pick(a, b);
}

/** The combined materials list: a material several items need is listed once. */
export function mergeMaterials(items: ItemDefinition[]): (MaterialDefinition & { itemCodes: string[] })[] {
  const merged = new Map<string, MaterialDefinition & { itemCodes: string[] }>();
  for (const item of items) {
    for (const material of item.materials) {
      const seen = merged.get(material.code);
      if (seen) {
        seen.itemCodes.push(item.code);
        seen.commitmentMayOmit = seen.commitmentMayOmit && material.commitmentMayOmit;
      } else merged.set(material.code, { ...material, itemCodes: [item.code] });
    }
  }
  return [...merged.values()];
}

const SECTIONS = [
  { key: 'applicant', titleZh: '申请主体信息', titleEn: 'Applicant' },
  { key: 'premises', titleZh: '经营场所信息', titleEn: 'Premises' },
  { key: 'item', titleZh: '经营事项信息', titleEn: 'Business details' },
] as const;

export interface FormSection {
  key: string;
  titleZh: string;
  titleEn: string;
  fields: MergedField[];
}

/**
 * The one form (一表申请) for these items. An industry not ready for the merged
 * form gets each item's own form as a section, fields keyed `<itemCode>.<key>`.
 */
export function buildForm(industry: IndustryDefinition, items: ItemDefinition[]): FormSection[] {
  if (!industry.mergedForm) {
    return items.map((item) => ({
      key: item.code,
      titleZh: item.nameZh,
      titleEn: item.nameEn,
      fields: item.elements.map((e) => ({ ...e, key: `${item.code}.${e.key}`, itemCodes: [item.code] })),
    }));
  }
  const fields = mergeElements(items);
  return SECTIONS.map((section) => ({
    ...section,
    fields: fields.filter((f) => (f.section ?? 'item') === section.key),
  })).filter((section) => section.fields.length > 0);
}

export function departmentOf(item: ItemDefinition) {
  return departmentByCode(item.department)!;
}

export { departments };
