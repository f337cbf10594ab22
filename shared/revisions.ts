import type { mongo } from 'mongoose';
import { platformError } from './errors';
import { appendStep, insertOnce, readLog, stepId } from './records';

/** One revision of a whole document: `<key>#<n>`, inserted once. */
export type Revision<T> = T & { _id: string; seq: number; by: string; at: Date };

/**
 * A document admins edit as a whole (an industry's supervision notes, a
 * department's roster), kept revision after revision. An edit names the
 * revision it was made on (0 for none); if another was published since, nothing
 * is written and the answer says which revision is current, so of two admins
 * editing at once the second is told and nothing is overwritten.
 */
export class Revisions<T extends object> {
  constructor(
    private readonly collection: mongo.Collection<Revision<T>>,
    private readonly what: { zh: string; en: string },
  ) {}

  /** Every revision, oldest first. */
  async history(key: string): Promise<Revision<T>[]> {
    return readLog(this.collection, (n) => stepId(key, n));
  }

  async latest(key: string): Promise<Revision<T> | null> {
    return (await this.history(key)).at(-1) ?? null;
  }

  async publish(key: string, content: T, by: string, basedOn: number): Promise<Revision<T>> {
    const { step, seq } = await appendStep(
      async () => {
        const history = await this.history(key);
        return { state: history.at(-1) ?? null, seq: history.length };
      },
      (_latest, seq) => {
        if (seq !== basedOn) {
          throw platformError('CONFLICT', `${this.what.zh}已更新为第 ${seq} 版，请在最新版本上修改`, `${this.what.en}: revision ${seq} is now the latest; edit that one`, { field: 'input.basedOnRevision' });
        }
        return { ...content, by, at: new Date() };
      },
      (revision, seq) => insertOnce(this.collection, { ...revision, _id: stepId(key, seq), seq } as Revision<T>),
    );
    return { ...step!, _id: stepId(key, seq), seq } as Revision<T>;
  }
}
