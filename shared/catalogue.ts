import type { FieldDefinition } from './validation/form-values';

/**
 * The shape of catalogue data. Item definitions live with the department that
 * decides them (`subgraphs/<department>/items.json`); industries live with the
 * bureau (`subgraphs/applications/catalogue/industries.json`) and compose items.
 */
export interface Text {
  zh: string;
  en: string;
}

export interface ElementDefinition extends FieldDefinition {
  /** Form section: applicant, premises or item. */
  section?: 'applicant' | 'premises' | 'item';
}

export interface MaterialDefinition {
  code: string;
  nameZh: string;
  nameEn: string;
  /** May be omitted under notification-commitment (告知承诺). */
  commitmentMayOmit: boolean;
  /** The item's own application form: the one merged form (一表申请) takes its place. */
  replacedByMergedForm?: boolean;
  /** The government already holds it: the source it is fetched from instead (subgraphs/applications/held-sources.ts). */
  heldBy?: string;
  /**
   * One document for one fact: the shared documents that serve this material
   * (subgraphs/applications/catalogue/documents.json), each with what this item
   * needs marked on it. Several items' materials naming one document ask it once.
   */
  documents?: DocumentUse[];
}

export interface DocumentUse {
  code: string;
  annotationZh?: string;
  annotationEn?: string;
}

export interface ItemDefinition {
  code: string;
  /** Department code; filled in from the folder the item was loaded from. */
  department: string;
  nameZh: string;
  nameEn: string;
  /** Concrete GraphQL type of the licence this item issues. */
  licenceType: string;
  licenceNameZh: string;
  licenceNameEn: string;
  legalBasis: Text[];
  conditions: Text[];
  materials: MaterialDefinition[];
  processSteps: Text[];
  elements: ElementDefinition[];
  statutoryDays: number;
  committedDays: number;
  feeYuan: number;
  commitmentAllowed: boolean;
  validityYears: number;
  /** A site inspection must be recorded as passed before approval. */
  siteInspection?: boolean;
  /**
   * Items that must be decided (approved) first when the same application has
   * them: this item is dispatched only then (a school licence before the
   * non-profit registration). The rest go in parallel.
   */
  decidedAfter?: string[];
  /** How many correction requests the law allows for one item (default 1). */
  correctionsAllowed?: number;
  /** Working days after a commitment approval within which compliance is verified (default 20). */
  verificationDays?: number;
  /** Which fields are not from a public source (demo data, never presented as official). */
  illustrative?: string[];
}

export type Answers = Record<string, string | boolean | number>;

export interface ScenarioQuestion {
  key: string;
  type: 'BOOLEAN' | 'ENUM';
  textZh: string;
  textEn: string;
  options?: { value: string; labelZh: string; labelEn: string }[];
}

export interface IndustryItem {
  itemCode: string;
  department: string;
  /** Applies only when every key equals the answer given. */
  when?: Answers;
  /**
   * In this industry the item covers only part of the premises (a bookstore's
   * café corner, a hotel's restaurant): its premises areas are asked for that
   * part, as their own fields, not merged with the whole premises' area.
   */
  premisesPart?: PremisesPart;
}

export interface PremisesPart {
  /** Prefixes the part's field keys (`cafeCorner` → `cafeCornerFloorArea`). */
  key: string;
  nameZh: string;
  nameEn: string;
}

export interface IndustryDefinition {
  code: string;
  nameZh: string;
  nameEn: string;
  descriptionZh?: string;
  descriptionEn?: string;
  /** false: 多个事项、一次申报 — the items' own forms, submitted together. */
  mergedForm: boolean;
  questions: ScenarioQuestion[];
  items: IndustryItem[];
  illustrative?: string[];
}
