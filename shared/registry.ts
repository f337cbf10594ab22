import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ItemDefinition } from './catalogue';
import { serviceUrlsConfig } from './config';

/**
 * The department registry: every folder under `subgraphs/` holding a
 * `department.json` is an approving department with its own subgraph. Adding a
 * department is adding such a folder; nothing else in the code lists them.
 */
export interface DepartmentDefinition {
  code: string;
  graphqlName: string;
  typePrefix: string;
  nameZh: string;
  nameEn: string;
  port: number;
  remedy: {
    reconsiderationZh: string;
    reconsiderationEn: string;
    courtZh: string;
    courtEn: string;
    deadlineNoteZh?: string;
    deadlineNoteEn?: string;
  };
  illustrative?: string[];
}

/**
 * 一单: a point an inspector checks at a business holding the licence of one of
 * the department's items (`checkpoints.json` in its folder: the department owns
 * its points; the supervision subgraph merges them per industry and business).
 */
export interface CheckPointDefinition {
  code: string;
  itemCode: string;
  textZh: string;
  textEn: string;
  legalBasis: { zh: string; en: string };
  failureZh: string;
  failureEn: string;
  /** What a failure starts: a correction order with a deadline, or enforcement that ends the licence. */
  onFailure: 'CORRECTION' | 'ENFORCEMENT';
  /** Days to correct, for a CORRECTION point. */
  correctionDays?: number;
  illustrative?: boolean;
}

export interface Department extends DepartmentDefinition {
  folder: string;
  items: ItemDefinition[];
  /** Its check points (一单), in item order. */
  checkPoints: CheckPointDefinition[];
  /** This department's extra SDL: `extend type <Licence>` blocks. */
  licenceSdl: string;
}

export const REPO_ROOT = resolve(__dirname, '..');
export const SUBGRAPHS_DIR = join(REPO_ROOT, 'subgraphs');

let cache: Department[] | undefined;

export function loadDepartment(folder: string): Department {
  const config = JSON.parse(readFileSync(join(folder, 'department.json'), 'utf8')) as DepartmentDefinition;
  const items = JSON.parse(readFileSync(join(folder, 'items.json'), 'utf8')) as ItemDefinition[];
  const sdlFile = join(folder, 'schema.graphql');
  const licenceSdl = existsSync(sdlFile) ? readFileSync(sdlFile, 'utf8') : '';
  const pointsFile = join(folder, 'checkpoints.json');
  const checkPoints = existsSync(pointsFile) ? (JSON.parse(readFileSync(pointsFile, 'utf8')) as CheckPointDefinition[]) : [];
  return { ...config, folder, items: items.map((i) => ({ ...i, department: config.code })), licenceSdl, checkPoints };
}

export function departments(): Department[] {
  if (!cache) {
    cache = readdirSync(SUBGRAPHS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(SUBGRAPHS_DIR, d.name, 'department.json')))
      .map((d) => loadDepartment(join(SUBGRAPHS_DIR, d.name)))
      .sort((a, b) => a.port - b.port);
  }
  return cache;
}

export function department(code: string): Department | undefined {
  return departments().find((d) => d.code === code);
}

/** Every approval item of every department, by item code. */
export function itemIndex(): Map<string, ItemDefinition> {
  return new Map(departments().flatMap((d) => d.items.map((i) => [i.code, i] as const)));
}

/** The services the gateway federates, in composition order. */
export interface ServiceInfo {
  name: string;
  port: number;
  /** The script that runs it, and its arguments (a department's folder). */
  entry: string;
  args: string[];
}

export function services(): ServiceInfo[] {
  return [
    { name: 'applications', port: 4001, entry: join(SUBGRAPHS_DIR, 'applications', 'subgraph.ts'), args: [] },
    { name: 'permit', port: 4002, entry: join(SUBGRAPHS_DIR, 'permit', 'subgraph.ts'), args: [] },
    { name: 'supervision', port: 4003, entry: join(SUBGRAPHS_DIR, 'supervision', 'subgraph.ts'), args: [] },
    ...departments().map((d) => ({ name: d.code, port: d.port, entry: join(REPO_ROOT, 'shared', 'department', 'main.ts'), args: [d.folder] })),
  ];
}

/**
 * Base URL of a service. `SERVICE_URLS` (JSON name → URL) overrides the
 * registry's ports, which is how tests and deployments place services.
 */
export function serviceUrl(name: string): string {
  const overrides = serviceUrlsConfig().SERVICE_URLS ?? {};
  if (overrides[name]) return overrides[name];
  const service = services().find((s) => s.name === name);
  if (!service) throw new Error(`unknown service ${name}`);
  return `http://127.0.0.1:${service.port}`;
}
