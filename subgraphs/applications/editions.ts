import type { Connection, mongo } from 'mongoose';
import { isDuplicateKey } from '../../shared/db';
import { invalidInput, platformError } from '../../shared/errors';
import { buildCatalogue, catalogueProblems, repositoryCatalogueData, type Catalogue, type CatalogueData } from './catalogue';

/**
 * Catalogue editions. Admins edit one `draft`; publishing copies it into a new
 * edition `E<n>` by a unique insert, and a published edition is never written
 * again. Guides and forms use the newest published edition unless asked for
 * another; applications pin the edition they were made under.
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
  readonly editions: mongo.Collection<EditionDoc>;
  /** Published editions never change, so each is built once. */
  private readonly published = new Map<string, Catalogue>();
  private current?: { id: string; checkedAt: number };

  constructor(db: Connection) {
    this.editions = db.db!.collection('catalogue_editions');
  }

  /** On first start there is no edition: load and publish the repository's catalogue. */
  async prepare(): Promise<void> {
    await this.editions.createIndex({ number: 1 });
    if (await this.latestPublishedId()) return;
    try {
      await this.loadRepository('system', true);
    } catch (error) {
      // Another process published the first edition at the same moment: that will do.
      if (!(await this.latestPublishedId())) throw error;
    }
  }

  private async latestPublishedId(): Promise<string | undefined> {
    const [latest] = await this.editions
      .find({ status: 'PUBLISHED' }, { projection: { _id: 1 } })
      .sort({ number: -1 })
      .limit(1)
      .toArray();
    return latest?._id;
  }

  /** The newest published edition; rechecked at most once a second (another process may publish). */
  async currentEdition(): Promise<Catalogue> {
    if (!this.current || Date.now() - this.current.checkedAt > 1000) {
      const id = await this.latestPublishedId();
      if (!id) throw platformError('NOT_READY', '尚无已发布的目录版本', 'No catalogue edition has been published yet');
      this.current = { id, checkedAt: Date.now() };
    }
    return this.edition(this.current.id);
  }

  /** One edition by id (`E3`, or `draft`). */
  async edition(id: string): Promise<Catalogue> {
    const cached = this.published.get(id);
    if (cached) return cached;
    const doc = await this.editions.findOne({ _id: id });
    if (!doc) throw platformError('NOT_FOUND', `目录版本「${id}」不存在`, `No catalogue edition "${id}"`, { field: 'edition' });
    const catalogue = buildCatalogue(doc.data, doc._id);
    if (doc.status === 'PUBLISHED') this.published.set(id, catalogue);
    return catalogue;
  }

  /** The draft to edit: the existing one, or a copy of the newest published edition. */
  async draftData(): Promise<CatalogueData> {
    const draft = await this.editions.findOne({ _id: DRAFT_ID });
    if (draft) return draft.data;
    const current = await this.currentEdition();
    return { industries: current.industries, items: current.items };
  }

  /** Saves a draft after checking it; refuses (and writes nothing) if any rule is broken. */
  async saveDraft(data: CatalogueData, by: string, pathPrefix = ''): Promise<void> {
    const problems = catalogueProblems(data);
    if (problems.length) throw invalidInput(problems.map((p) => ({ ...p, path: pathPrefix ? `${pathPrefix}.${p.path}` : p.path })));
    await this.editions.replaceOne(
      { _id: DRAFT_ID },
      { number: null, status: 'DRAFT', data, updatedAt: new Date(), updatedBy: by },
      { upsert: true },
    );
  }

  async discardDraft(): Promise<boolean> {
    const result = await this.editions.deleteOne({ _id: DRAFT_ID });
    return result.deletedCount === 1;
  }

  /** Publishes the draft as the next edition. Two publishers racing: the unique id lets one win. */
  async publishDraft(by: string, note?: string): Promise<EditionDoc> {
    const draft = await this.editions.findOne({ _id: DRAFT_ID });
    if (!draft) throw platformError('WRONG_STATE', '没有待发布的草稿', 'There is no draft to publish');
    const problems = catalogueProblems(draft.data);
    if (problems.length) throw invalidInput(problems);
    const [latest] = await this.editions.find({ status: 'PUBLISHED' }).sort({ number: -1 }).limit(1).toArray();
    const number = (latest?.number ?? 0) + 1;
    const edition: EditionDoc = {
      _id: `E${number}`,
      number,
      status: 'PUBLISHED',
      data: draft.data,
      updatedAt: draft.updatedAt,
      updatedBy: draft.updatedBy,
      publishedAt: new Date(),
      publishedBy: by,
      ...(note ? { note } : {}),
    };
    try {
      await this.editions.insertOne(edition);
    } catch (error) {
      if (isDuplicateKey(error)) throw platformError('CONFLICT', '另一版本刚刚发布，请重试', 'Another edition was published just now; try again');
      throw error;
    }
    await this.editions.deleteOne({ _id: DRAFT_ID, updatedAt: draft.updatedAt });
    this.current = undefined;
    return edition;
  }

  /** `npm run catalogue:load`: the repository's data becomes the draft, and optionally the next edition. */
  async loadRepository(by: string, publish: boolean): Promise<EditionDoc | null> {
    await this.saveDraft(repositoryCatalogueData(), by);
    return publish ? this.publishDraft(by, 'loaded from the repository') : null;
  }

  async list(): Promise<EditionDoc[]> {
    return this.editions.find({}).sort({ number: -1 }).toArray();
  }
}
