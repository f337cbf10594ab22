import type { IndustryDefinition } from '../../shared/catalogue';
import { applicableItems, buildForm, mergeMaterials, type Catalogue } from './catalogue';

/**
 * The reform's effect for one industry, computed from the catalogue (never
 * typed in), for the case where every item applies:
 * - form fields: the one merged form vs. the sum of the items' own forms;
 * - materials: the merged list (the one form replacing the items' own
 *   application forms) vs. the sum of the items' lists;
 * - time: the unified committed limit (items run in parallel after one
 *   acceptance, so the longest) vs. the statutory limits one after another.
 */
export interface ReformFigures {
  industryCode: string;
  industryNameZh: string;
  industryNameEn: string;
  mergedForm: boolean;
  itemCount: number;
  formFieldsSeparate: number;
  formFieldsMerged: number;
  materialsSeparate: number;
  materialsMerged: number;
  statutoryDaysSequential: number;
  committedDaysSequential: number;
  committedDaysUnified: number;
}

export function reformFigures(catalogue: Catalogue, industry: IndustryDefinition): ReformFigures {
  const items = applicableItems(catalogue, industry, null);
  const form = buildForm(industry, items);
  return {
    industryCode: industry.code,
    industryNameZh: industry.nameZh,
    industryNameEn: industry.nameEn,
    mergedForm: industry.mergedForm,
    itemCount: items.length,
    formFieldsSeparate: items.reduce((sum, i) => sum + i.elements.length, 0),
    formFieldsMerged: form.reduce((sum, section) => sum + section.fields.length, 0),
    materialsSeparate: items.reduce((sum, i) => sum + i.materials.length, 0),
    materialsMerged: mergeMaterials(items, industry.mergedForm).length,
    statutoryDaysSequential: items.reduce((sum, i) => sum + i.statutoryDays, 0),
    committedDaysSequential: items.reduce((sum, i) => sum + i.committedDays, 0),
    committedDaysUnified: Math.max(0, ...items.map((i) => i.committedDays)),
  };
}

/** Reduction as a fraction (0.6 = 60 % fewer); 0 when there was nothing to reduce. */
export function reduction(before: number, after: number): number {
  return before === 0 ? 0 : Math.round(((before - after) / before) * 1000) / 1000;
}

/** Totals over industries: the figures an analyst quotes for the whole catalogue. */
export function totals(rows: ReformFigures[]) {
  const sum = (key: keyof ReformFigures) => rows.reduce((s, r) => s + (r[key] as number), 0);
  return {
    formFields: reduction(sum('formFieldsSeparate'), sum('formFieldsMerged')),
    materials: reduction(sum('materialsSeparate'), sum('materialsMerged')),
    time: reduction(sum('statutoryDaysSequential'), sum('committedDaysUnified')),
  };
}
