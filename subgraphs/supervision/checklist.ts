import { departments, type CheckPointDefinition, type Department } from '../../shared/registry';

/** A check point as the API gives it: the department's definition and who owns it. */
export interface CheckPointView extends CheckPointDefinition {
  departmentCode: string;
  departmentNameZh: string;
  departmentNameEn: string;
}

let cache: CheckPointView[] | undefined;

/** Every department's check points, in registry order (departments by port, points as each lists them). */
export function allCheckPoints(): CheckPointView[] {
  cache ??= departments().flatMap((d) => d.checkPoints.map((p) => ({ ...p, departmentCode: d.code, departmentNameZh: d.nameZh, departmentNameEn: d.nameEn })));
  return cache;
}

/** 一单: the points of these items, merged into one list in the items' order, each point once. */
export function checklistOf(itemCodes: readonly string[]): CheckPointView[] {
  const wanted = [...new Set(itemCodes)];
  return wanted.flatMap((code) => allCheckPoints().filter((p) => p.itemCode === code));
}

/** What is wrong with the departments' check points (empty when none): checked by the unit tests and at start. */
export function checkPointProblems(all: Department[] = departments()): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const d of all) {
    const own = new Set(d.items.map((i) => i.code));
    for (const p of d.checkPoints) {
      const where = `${d.code}/checkpoints.json ${p.code}`;
      if (seen.has(p.code)) problems.push(`${where}: code used twice`);
      seen.add(p.code);
      if (!own.has(p.itemCode)) problems.push(`${where}: item ${p.itemCode} is not ${d.code}'s`);
      if (!p.code.startsWith(`${p.itemCode}-`)) problems.push(`${where}: code should start with its item code`);
      for (const field of ['textZh', 'textEn', 'failureZh', 'failureEn'] as const) if (!p[field]?.trim()) problems.push(`${where}: ${field} is empty`);
      if (!p.legalBasis?.zh?.trim() || !p.legalBasis?.en?.trim()) problems.push(`${where}: legal basis missing`);
      if (p.onFailure === 'CORRECTION' && !(Number.isInteger(p.correctionDays) && p.correctionDays! >= 1 && p.correctionDays! <= 90)) problems.push(`${where}: a correction needs correctionDays (1–90)`);
      if (p.onFailure === 'ENFORCEMENT' && p.correctionDays !== undefined) problems.push(`${where}: enforcement has no correction days`);
      if (p.onFailure !== 'CORRECTION' && p.onFailure !== 'ENFORCEMENT') problems.push(`${where}: onFailure must be CORRECTION or ENFORCEMENT`);
    }
    for (const item of d.items) if (!d.checkPoints.some((p) => p.itemCode === item.code)) problems.push(`${d.code}: item ${item.code} has no check points`);
  }
  return problems;
}
