import type { Connection, mongo } from 'mongoose';
import type { IndexDeclaration } from '../../shared/db';
import { invalidInput, platformError } from '../../shared/errors';
import { appendStep, byId, insertOnce, LostRaceError } from '../../shared/records';
import { buildCatalogue, catalogueProblems, repositoryCatalogueData, type Catalogue, type CatalogueData } from './catalogue';

/**
 * Catalogue editions. Admins edit a draft; publishing copies it into a new
 * edition `E<n>` by a unique insert, and a published edition is never written
 * again. Guides and forms use the newest published edition unless asked for
 * another; applications pin the edition they were made under.
 *
 * The draft is a chain of revisions (`catalogue_drafts`, id `r<n>`), each the
 * whole draft, inserted once: an edit reads the latest revision, applies its
 * change and inserts the next; two admins editing at once both land, the later
 * change applied on top of the earlier (nothing is overwritten). A revision
 * with no data discards the draft; an edition records the revision it was
 * published from, after which there is no draft until the next edit.
 */
export interface EditionDoc {
  _id: string;
  number: number | null;
  status: 'DRAFT' | 'PUBLISHED';
  data: CatalogueData;
  updatedAt: Date;
  updatedBy: string;
  publishedAt?: Date;
  publishedBy?: string;
  note?: string;
  /** The draft revision this edition was published from. */
  fromDraft?: number;
}

interface DraftRevisionDoc {
  _id: string;
  n: number;
  /** null: the draft was discarded. */
  data: CatalogueData | null;
  at: Date;
  by: string;
}

export const DRAFT_ID = 'draft';

const stores = new WeakMap<Connection, EditionStore>();

/** One store per database connection, so its caches serve every request. */
export function editionsFor(db: Connection): EditionStore {
  let store = stores.get(db);
  if (!store) {
    store = new EditionStore(db);
    stores.set(db, store);
  }
  return store;
}

export class EditionStore {
  /** Editions and drafts are numbered and probed by id (`latestNumber`): never a sweep. */
  static readonly indexes: readonly IndexDeclaration[] = [
    { collection: 'catalogue_editions', keys: { _id: 1 }, serves: 'a catalogue edition, by number' },
    { collection: 'catalogue_drafts', keys: { _id: 1 }, serves: 'a draft revision, by number' },
  ];

  readonly editions: mongo.Collection<EditionDoc>;
  readonly drafts: mongo.Collection<DraftRevisionDoc>;
  /** Published editions never change, so each is built once. */
  private readonly published = new Map<string, Catalogue>();
  private current?: { id: string; checkedAt: number };
  /** The highest edition number and draft revision seen: the next ones are probed by id from there. */
  private knownEdition = 0;
  private knownRevision = 0;

  constructor(db: Connection) {
    this.editions = db.db!.collection('catalogue_editions');
    this.drafts = db.db!.collection('catalogue_drafts');
  }

  /** On first start there is no edition: load and publish the repository's catalogue. */
  async prepare(): Promise<void> {
    if (await this.latestPublished()) return;
    try {
      await this.loadRepository('system', true);
    } catch (error) {
      // Another process published the first edition at the same moment: that will do.
      if (!(await this.latestPublished())) throw error;
    }
  }

  /**
   * The newest published edition's number: editions are numbered E1, E2, …, so
   * the next is probed by id from the highest seen (a lookup by id, never a sweep).
   */
  private async latestNumber(): Promise<number> {
    let n = this.knownEdition;
    while (await byId(this.editions, `E${n + 1}`)) n++;
    this.knownEdition = Math.max(this.knownEdition, n);
    return this.knownEdition;
  }

  /** The newest published edition: the one in force. */
  async latestPublished(): Promise<EditionDoc | null> {
    const n = await this.latestNumber();
    return n ? byId(this.editions, `E${n}`) : null;
  }

  /** The newest published edition; rechecked at most once a second (another process may publish). */
  async currentEdition(): Promise<Catalogue> {
    if (!this.current || Date.now() - this.current.checkedAt > 1000) {
      const n = await this.latestNumber();
      if (!n) throw platformError('NOT_READY', '尚无已发布的目录版本', 'No catalogue edition has been published yet');
      this.current = { id: `E${n}`, checkedAt: Date.now() };
    }
    return this.edition(this.current.id);
  }

  /** One edition by id (`E3`, or `draft`). */
  async edition(id: string): Promise<Catalogue> {
    const cached = this.published.get(id);
    if (cached) return cached;
    if (id === DRAFT_ID) return buildCatalogue(await this.draftData(), DRAFT_ID);
    const doc = await this.editions.findOne({ _id: id });
    if (!doc) throw platformError('NOT_FOUND', `目录版本「${id}」不存在`, `No catalogue edition "${id}"`, { field: 'edition' });
    const catalogue = buildCatalogue(doc.data, doc._id);
    this.published.set(id, catalogue);
    return catalogue;
  }

  /** The latest revision, and whether it is a live draft (not discarded, not yet published). */
  private async latestRevision(): Promise<{ n: number; draft: DraftRevisionDoc | null }> {
    let n = this.knownRevision;
    while (await byId(this.drafts, `r${n + 1}`)) n++;
    this.knownRevision = Math.max(this.knownRevision, n);
    const latest = this.knownRevision ? await byId(this.drafts, `r${this.knownRevision}`) : null;
    if (!latest || !latest.data) return { n: latest?.n ?? 0, draft: null };
    const edition = await this.latestPublished();
    return { n: latest.n, draft: edition?.fromDraft === latest.n ? null : latest };
  }

  /** The draft as an edition-shaped document, if there is one. */
  async draft(): Promise<EditionDoc | null> {
    const { draft } = await this.latestRevision();
    return draft ? { _id: DRAFT_ID, number: null, status: 'DRAFT', data: draft.data!, updatedAt: draft.at, updatedBy: draft.by } : null;
  }

  /** The draft to edit: the existing one, or a copy of the newest published edition. */
  async draftData(): Promise<CatalogueData> {
    const draft = await this.draft();
    if (draft) return draft.data;
    const current = await this.currentEdition();
    return { industries: current.industries, items: current.items };
  }

  /**
   * Edits the draft: `change` maps the draft's data to the new data, which is
   * checked (a failing edit writes nothing) and inserted as the next revision.
   * A concurrent edit makes it re-read and apply `change` again on top.
   */
  async editDraft(by: string, change: (data: CatalogueData) => CatalogueData, pathPrefix = ''): Promise<EditionDoc> {
    try {
      await appendStep(
        async () => {
          const { n, draft } = await this.latestRevision();
          // No draft: start from the newest edition (or from nothing, before the first).
          const base = draft?.data ?? ((await this.latestPublished()) ? await this.draftData() : { industries: [], items: [] });
          return { state: base, seq: n };
        },
        (data) => {
          const next = change(data);
          const problems = catalogueProblems(next);
          if (problems.length) throw invalidInput(problems.map((p) => ({ ...p, path: pathPrefix ? `${pathPrefix}.${p.path}` : p.path })));
          return next;
        },
        (data, n) => insertOnce(this.drafts, { _id: `r${n}`, n, data, at: new Date(), by }),
      );
    } catch (error) {
      if (error instanceof LostRaceError) throw platformError('CONFLICT', '其他管理员正在同时修改草稿，请重试', 'Other admins are editing the draft at the same moment; try again');
      throw error;
    }
    return (await this.draft())!;
  }

  async discardDraft(by: string): Promise<boolean> {
    const { n, draft } = await this.latestRevision();
    if (!draft) return false;
    return insertOnce(this.drafts, { _id: `r${n + 1}`, n: n + 1, data: null, at: new Date(), by });
  }

  /** Publishes the draft as the next edition. Two publishers racing: the unique id lets one win. */
  async publishDraft(by: string, note?: string): Promise<EditionDoc> {
    const { draft } = await this.latestRevision();
    if (!draft) throw platformError('WRONG_STATE', '没有待发布的草稿', 'There is no draft to publish');
    const problems = catalogueProblems(draft.data!);
    if (problems.length) throw invalidInput(problems);
    const number = (await this.latestNumber()) + 1;
    const edition: EditionDoc = {
      _id: `E${number}`,
      number,
      status: 'PUBLISHED',
      data: draft.data!,
      updatedAt: draft.at,
      updatedBy: draft.by,
      publishedAt: new Date(),
      publishedBy: by,
      fromDraft: draft.n,
      ...(note ? { note } : {}),
    };
    if (!(await insertOnce(this.editions, edition))) throw platformError('CONFLICT', '另一版本刚刚发布，请重试', 'Another edition was published just now; try again');
    this.current = undefined;
    return edition;
  }

  /** `npm run catalogue:load`: the repository's data becomes the draft, and optionally the next edition. */
  async loadRepository(by: string, publish: boolean): Promise<EditionDoc> {
    const draft = await this.editDraft(by, () => repositoryCatalogueData());
    return publish ? this.publishDraft(by, 'loaded from the repository') : draft;
  }

  async list(): Promise<EditionDoc[]> {
    const n = await this.latestNumber();
    const published = (await Promise.all(Array.from({ length: n }, (_, i) => byId(this.editions, `E${n - i}`)))).filter((e): e is EditionDoc => e !== null);
    const draft = await this.draft();
    return draft ? [draft, ...published] : published;
  }
}
