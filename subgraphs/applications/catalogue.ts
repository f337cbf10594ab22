import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Answers, ElementDefinition, IndustryDefinition, ItemDefinition, MaterialDefinition, PremisesPart } from '../../shared/catalogue';
import type { FieldProblem } from '../../shared/errors';
import { departments, department as departmentByCode } from '../../shared/registry';
import { HELD_SOURCES } from './held-sources';

/**
 * The bureau's catalogue: industries composed from the departments' items.
 * The data comes from the repository (each department's items.json, the
 * bureau's industries.json), is loaded into an edition (see editions.ts) and
 * checked by `catalogueProblems` before anything uses it.
 */
export interface CatalogueData {
  industries: IndustryDefinition[];
  items: ItemDefinition[];
}

export interface Catalogue {
  /** Edition id, e.g. `E3`, or `draft`. */
  edition: string;
  industries: IndustryDefinition[];
  items: ItemDefinition[];
  industry(code: string): IndustryDefinition | undefined;
  item(code: string): ItemDefinition;
}

export const INDUSTRIES_FILE = join(__dirname, 'catalogue', 'industries.json');

/** The catalogue as the repository holds it: what `npm run catalogue:load` loads. */
export function repositoryCatalogueData(file = INDUSTRIES_FILE): CatalogueData {
  return {
    industries: JSON.parse(readFileSync(file, 'utf8')) as IndustryDefinition[],
    items: departments().flatMap((d) => d.items),
  };
}

export function buildCatalogue(data: CatalogueData, edition: string): Catalogue {
  const industries = new Map(data.industries.map((i) => [i.code, i]));
  const items = new Map(data.items.map((i) => [i.code, i]));
  return {
    edition,
    industries: data.industries,
    items: data.items,
    industry: (code) => industries.get(code),
    item: (code) => {
      const item = items.get(code);
      if (!item) throw new Error(`edition ${edition} has no item ${code}`);
      return item;
    },
  };
}

const problemOf = (path: string, code: string, messageZh: string, messageEn: string): FieldProblem => ({ path, code, messageZh, messageEn });

/**
 * Every reference and rule a catalogue must satisfy; an empty list means it
 * may be used (and published). Paths name the offending entry.
 */
export function catalogueProblems(data: CatalogueData): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const items = new Map<string, ItemDefinition>();
  const elementTypes = new Map<string, { type: string; item: string }>();
  // A material is one fact: every item asking it agrees on whether the government holds it.
  const heldBy = new Map<string, { heldBy: string | undefined; item: string }>();
  data.items.forEach((item, index) => {
    const path = `items.${item.code ?? index}`;
    if (items.has(item.code)) problems.push(problemOf(path, 'DUPLICATE_CODE', `事项编码「${item.code}」重复`, `Item code "${item.code}" is used twice`));
    items.set(item.code, item);
    const dept = item.department ? departmentByCode(item.department) : undefined;
    if (!dept) {
      problems.push(problemOf(`${path}.department`, 'NO_DEPARTMENT', `事项「${item.nameZh}」没有有效的审批部门`, `Item "${item.nameEn}" has no valid deciding department`));
    } else if (!dept.items.some((i) => i.licenceType === item.licenceType)) {
      problems.push(
        problemOf(
          `${path}.licenceType`,
          'UNKNOWN_LICENCE_TYPE',
          `${dept.nameZh}没有许可证类型「${item.licenceType}」（新类型需在该部门子图中定义）`,
          `${dept.nameEn} has no licence type "${item.licenceType}" (a new type needs the department subgraph's schema)`,
        ),
      );
    }
    if (!item.elements?.length) problems.push(problemOf(`${path}.elements`, 'NO_ELEMENTS', `事项「${item.nameZh}」没有信息要素`, `Item "${item.nameEn}" has no information elements`));
    if (item.committedDays > item.statutoryDays) {
      problems.push(problemOf(`${path}.committedDays`, 'OUT_OF_RANGE', '承诺时限不能超过法定时限', 'The committed time limit cannot exceed the statutory one'));
    }
    if (item.commitmentAllowed && !item.materials.some((m) => m.commitmentMayOmit)) {
      problems.push(
        problemOf(`${path}.materials`, 'NO_COMMITMENT_MATERIAL', '适用告知承诺的事项须至少有一项可免提交的材料', 'An item allowing commitment must let at least one material be omitted'),
      );
    }
    item.materials.forEach((material, m) => {
      material.documents?.forEach((use, d) => {
        if (!SHARED_DOCUMENTS.has(use.code)) problems.push(problemOf(`${path}.materials.${m}.documents.${d}.code`, 'UNKNOWN_DOCUMENT', `没有共用文件「${use.code}」`, `No shared document "${use.code}"`));
      });
      if (material.heldBy !== undefined && !HELD_SOURCES[material.heldBy]) {
        problems.push(problemOf(`${path}.materials.${m}.heldBy`, 'UNKNOWN_SOURCE', `没有数据来源「${material.heldBy}」`, `No source "${material.heldBy}" of held materials`));
      }
      const other = heldBy.get(material.code);
      if (other && other.heldBy !== material.heldBy) {
        problems.push(
          problemOf(`${path}.materials.${m}.heldBy`, 'HELD_BY_CONFLICT', `材料「${material.code}」在「${other.item}」中的来源不同`, `Material "${material.code}" has another source in ${other.item}`),
        );
      } else if (!other) heldBy.set(material.code, { heldBy: material.heldBy, item: item.code });
    });
    for (const element of item.elements ?? []) {
      const seen = elementTypes.get(element.key);
      if (seen && seen.type !== element.type) {
        problems.push(
          problemOf(
            `${path}.elements.${element.key}`,
            'ELEMENT_TYPE_CONFLICT',
            `信息要素「${element.key}」在「${seen.item}」中为 ${seen.type}，此处为 ${element.type}`,
            `Element "${element.key}" is ${seen.type} in ${seen.item} but ${element.type} here`,
          ),
        );
      } else if (!seen) elementTypes.set(element.key, { type: element.type, item: item.code });
    }
  });
  // An item waits only for items that exist, never for itself, and never round in a circle.
  const waitsFor = (code: string, seen: string[]): string | null => {
    for (const pre of items.get(code)?.decidedAfter ?? []) {
      if (seen.includes(pre)) return [...seen, pre].join(' → ');
      const loop = waitsFor(pre, [...seen, pre]);
      if (loop) return loop;
    }
    return null;
  };
  for (const item of data.items) {
    (item.decidedAfter ?? []).forEach((pre, index) => {
      if (!items.has(pre) || pre === item.code) problems.push(problemOf(`items.${item.code}.decidedAfter.${index}`, 'UNKNOWN_ITEM', `没有可作为前置的事项「${pre}」`, `No item "${pre}" to wait for`));
    });
    const loop = waitsFor(item.code, [item.code]);
    if (loop) problems.push(problemOf(`items.${item.code}.decidedAfter`, 'CYCLE', `事项前后顺序成环：${loop}`, `The items wait for each other in a circle: ${loop}`));
  }
  const industryCodes = new Set<string>();
  for (const industry of data.industries) {
    const path = `industries.${industry.code}`;
    if (industryCodes.has(industry.code)) problems.push(problemOf(path, 'DUPLICATE_CODE', `行业编码「${industry.code}」重复`, `Industry code "${industry.code}" is used twice`));
    industryCodes.add(industry.code);
    const questionKeys = new Set<string>();
    industry.questions?.forEach((question) => {
      const qPath = `${path}.questions.${question.key}`;
      if (questionKeys.has(question.key)) problems.push(problemOf(qPath, 'DUPLICATE_CODE', `问题「${question.key}」重复`, `Question "${question.key}" appears twice`));
      questionKeys.add(question.key);
      if (question.type !== 'BOOLEAN' && question.type !== 'ENUM') {
        problems.push(problemOf(`${qPath}.type`, 'INVALID_OPTION', '问题类型须为 BOOLEAN 或 ENUM', 'A question is BOOLEAN or ENUM'));
      } else if (question.type === 'ENUM' && !question.options?.length) {
        problems.push(problemOf(`${qPath}.options`, 'REQUIRED', '选择题须有可选答案', 'An ENUM question needs options'));
      }
    });
    if (!industry.items?.length) {
      problems.push(problemOf(`${path}.items`, 'NO_ITEMS', `行业「${industry.nameZh}」没有审批事项`, `Industry "${industry.nameEn}" has no approval items`));
    }
    industry.items?.forEach((entry, index) => {
      const item = items.get(entry.itemCode);
      if (!item) {
        problems.push(problemOf(`${path}.items.${index}.itemCode`, 'UNKNOWN_ITEM', `没有审批事项「${entry.itemCode}」`, `No approval item "${entry.itemCode}"`));
      } else if (item.department !== entry.department && departmentByCode(item.department)) {
        // (An item whose own department is invalid is reported once, at the item.)
        problems.push(
          problemOf(`${path}.items.${index}.department`, 'WRONG_DEPARTMENT', `事项「${item.nameZh}」不属于「${entry.department}」`, `Item "${item.nameEn}" is not decided by "${entry.department}"`),
        );
      }
      if (entry.premisesPart && item) {
        const part = entry.premisesPart;
        if (!/^[a-z][A-Za-z0-9]{1,30}$/.test(part.key ?? '') || !part.nameZh?.trim() || !part.nameEn?.trim()) {
          problems.push(problemOf(`${path}.items.${index}.premisesPart`, 'INVALID_FORMAT', '场所部分须有键（小写字母开头）和中英文名称', 'A part of the premises needs a key (starting lower-case) and names in Chinese and English'));
        } else if (!item.elements.some(measuresPremises)) {
          problems.push(problemOf(`${path}.items.${index}.premisesPart`, 'NO_PREMISES_AREA', `事项「${item.nameZh}」没有场所面积要素`, `Item "${item.nameEn}" asks no area of the premises`));
        }
      }
      for (const [key, value] of Object.entries(entry.when ?? {})) {
        const question = industry.questions.find((q) => q.key === key);
        const valid = question && (question.type === 'BOOLEAN' ? typeof value === 'boolean' : question.options?.some((o) => o.value === value));
        if (!valid) {
          problems.push(
            problemOf(`${path}.items.${index}.when.${key}`, 'UNKNOWN_QUESTION', `适用条件引用了不存在的问题或答案「${key}」`, `The condition refers to an unknown question or answer "${key}"`),
          );
        }
      }
    });
  }
  return problems;
}

/** The repository's catalogue, checked: throws with every problem when inconsistent. */
export function loadCatalogue(file = INDUSTRIES_FILE): Catalogue {
  const data = repositoryCatalogueData(file);
  const problems = catalogueProblems(data);
  if (problems.length) throw new Error(`catalogue is inconsistent:\n${problems.map((p) => `${p.path}: ${p.messageEn}`).join('\n')}`);
  return buildCatalogue(data, 'repository');
}

/**
 * Two or more items: a 一业一证 case (the district plan bundles "多项行政审批事项").
 * Answers selecting one item are applied for directly, not bundled.
 */
export function isBundle(items: ItemDefinition[]): boolean {
  return items.length >= 2;
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
      seen.integer = seen.integer || element.integer;
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

/** What the applicant hands in instead of every item's own application form. */
export const MERGED_FORM_MATERIAL: MaterialDefinition = {
  code: 'merged-application-form',
  nameZh: '“一业一证”综合申请表（一表申请）',
  nameEn: 'The one merged application form',
  commitmentMayOmit: false,
};

/** The shared documents (一件事实一份材料) items' materials may name. */
export const SHARED_DOCUMENTS: ReadonlyMap<string, { code: string; nameZh: string; nameEn: string }> = new Map(
  (JSON.parse(readFileSync(join(__dirname, 'catalogue', 'documents.json'), 'utf8')) as { documents: { code: string; nameZh: string; nameEn: string }[] }).documents.map((d) => [d.code, d]),
);

/** What one item needs marked on a shared document. */
export interface Annotation {
  itemCode: string;
  zh: string;
  en: string;
}

export type MergedMaterial = MaterialDefinition & { itemCodes: string[]; annotations: Annotation[] };
/** A material as GraphQL shows it: an item's own, or an entry of a merged list. */
export type MaterialView = MaterialDefinition & Partial<Pick<MergedMaterial, 'itemCodes' | 'annotations'>>;

/**
 * The combined materials list: a material several items need is listed once
 * (omittable under commitment only if every item lets it be omitted); a
 * material served by shared documents becomes those documents, each listed
 * once with every item's annotations. With the merged form, the items' own
 * application forms give way to the one form.
 */
export function mergeMaterials(items: ItemDefinition[], mergedForm: boolean): MergedMaterial[] {
  const merged = new Map<string, MergedMaterial>();
  const add = (item: ItemDefinition, entry: MaterialDefinition, annotation?: Annotation) => {
    const seen = merged.get(entry.code);
    if (!seen) merged.set(entry.code, { ...entry, itemCodes: [item.code], annotations: annotation ? [annotation] : [] });
    else {
      if (!seen.itemCodes.includes(item.code)) seen.itemCodes.push(item.code);
      seen.commitmentMayOmit = seen.commitmentMayOmit && entry.commitmentMayOmit;
      if (annotation) seen.annotations.push(annotation);
    }
  };
  for (const item of items) {
    for (const material of item.materials) {
      if (mergedForm && material.replacedByMergedForm) add(item, MERGED_FORM_MATERIAL);
      else if (material.documents?.length) {
        for (const use of material.documents) {
          const document = SHARED_DOCUMENTS.get(use.code)!;
          const annotation = use.annotationZh ? { itemCode: item.code, zh: use.annotationZh, en: use.annotationEn ?? use.annotationZh } : undefined;
          add(item, { code: document.code, nameZh: document.nameZh, nameEn: document.nameEn, commitmentMayOmit: material.commitmentMayOmit }, annotation);
        }
      } else add(item, material);
    }
  }
  return [...merged.values()];
}

/** A merged material the applicant may leave out: every item asking it lets it be omitted (mergeMaterials ANDs that), allows commitment, and is committed on. */
export function omittedByCommitment(m: MergedMaterial, items: ItemDefinition[], commitments: string[]): boolean {
  return m.commitmentMayOmit && m.itemCodes.every((code) => items.find((i) => i.code === code)!.commitmentAllowed && commitments.includes(code));
}

export interface RequiredMaterial extends MergedMaterial {
  /** Every item needing it is under commitment and lets it be omitted. */
  omittedByCommitment: boolean;
}

/**
 * The materials an application must hand in: the merged list, without the
 * items' own application forms (the online form is the application) and
 * marking those a commitment lets the applicant omit.
 */
export function requiredMaterials(items: ItemDefinition[], commitments: string[]): RequiredMaterial[] {
  return mergeMaterials(items, true)
    .filter((m) => m.code !== MERGED_FORM_MATERIAL.code)
    .map((m) => ({
      ...m,
      omittedByCommitment: omittedByCommitment(m, items, commitments),
    }));
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
 * Field key of an element in a bundled form (多个事项、一次申报): `<itemCode>:<key>`.
 * Not a dot: stored values are document fields, and MongoDB field names cannot hold one.
 */
export function bundledFieldKey(itemCode: string, key: string): string {
  return `${itemCode}:${key}`;
}

/** An element's submitted value, whether the form was merged (`key`) or bundled (`<itemCode>:key`). */
export function submittedValue(values: Record<string, unknown>, itemCode: string, key: string): unknown {
  return values[key] ?? values[bundledFieldKey(itemCode, key)];
}

/** An element measuring the premises (an area): one item covering part of them asks it for that part. */
const measuresPremises = (e: ElementDefinition) => e.section === 'premises' && e.type === 'AREA';

/** The key of a premises element asked for a part of the premises: `cafeCorner` + `floorArea` → `cafeCornerFloorArea`. */
export function partFieldKey(part: PremisesPart, key: string): string {
  return `${part.key}${key[0].toUpperCase()}${key.slice(1)}`;
}

/**
 * The item as the industry's merged form asks it: where it covers only part of
 * the premises, its premises areas are that part's own fields.
 */
export function asUsedIn(industry: IndustryDefinition, item: ItemDefinition): ItemDefinition {
  const part = industry.mergedForm ? industry.items.find((entry) => entry.itemCode === item.code)?.premisesPart : undefined;
  if (!part) return item;
  return {
    ...item,
    elements: item.elements.map((e) => (measuresPremises(e) ? { ...e, key: partFieldKey(part, e.key), labelZh: `${part.nameZh}：${e.labelZh}`, labelEn: `${part.nameEn}: ${e.labelEn}` } : e)),
  };
}

/** The values one item's elements were given on the industry's form, under the item's own keys (those not given left out). */
export function itemValues(industry: IndustryDefinition, values: Record<string, unknown>, item: ItemDefinition): Record<string, unknown> {
  const asked = asUsedIn(industry, item).elements;
  return Object.fromEntries(item.elements.map((e, i) => [e.key, submittedValue(values, item.code, asked[i].key)]).filter(([, v]) => v !== undefined));
}

/**
 * The one form (一表申请) for these items. An industry not ready for the merged
 * form gets each item's own form as a section, fields keyed `<itemCode>:<key>`.
 */
export function buildForm(industry: IndustryDefinition, items: ItemDefinition[]): FormSection[] {
  if (!industry.mergedForm) {
    return items.map((item) => ({
      key: item.code,
      titleZh: item.nameZh,
      titleEn: item.nameEn,
      fields: item.elements.map((e) => ({ ...e, key: bundledFieldKey(item.code, e.key), itemCodes: [item.code] })),
    }));
  }
  const fields = mergeElements(items.map((item) => asUsedIn(industry, item)));
  return SECTIONS.map((section) => ({
    ...section,
    fields: fields.filter((f) => (f.section ?? 'item') === section.key),
  })).filter((section) => section.fields.length > 0);
}

export function departmentOf(item: ItemDefinition) {
  return departmentByCode(item.department)!;
}

