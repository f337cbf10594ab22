import type { Connection, mongo } from 'mongoose';
import type { IndexDeclaration } from '../../shared/db';
import { appendStep, insertOnce, readLog, stepId } from '../../shared/records';
import { platformError } from '../../shared/errors';

/** One section of the supervision content admins add to an industry's compliance manual (一业一册). */
export interface NoteSection {
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
}

/**
 * An industry's supervision notes, one revision after another
 * (`<industryCode>#<n>`, each the whole text, inserted once): two admins
 * publishing at once compete for the same id; the later one is told what
 * changed under it, nothing is overwritten.
 */
export interface NotesRevision {
  _id: string;
  seq: number;
  industryCode: string;
  sections: NoteSection[];
  /** Why it changed, as the admin wrote it. */
  note: string;
  by: string;
  at: Date;
}

export class SupervisionStore {
  static readonly indexes: readonly IndexDeclaration[] = [{ collection: 'supervision_notes', keys: { _id: 1 }, serves: "an industry's notes, revision by revision" }];
  private readonly notes: mongo.Collection<NotesRevision>;

  constructor(db: Connection) {
    this.notes = db.db!.collection<NotesRevision>('supervision_notes');
  }

  /** Every revision of an industry's notes, oldest first. */
  async notesHistory(industryCode: string): Promise<NotesRevision[]> {
    return readLog(this.notes, (n) => stepId(industryCode, n));
  }

  async latestNotes(industryCode: string): Promise<NotesRevision | null> {
    return (await this.notesHistory(industryCode)).at(-1) ?? null;
  }

  /**
   * Publishes the next revision. `basedOn` is the revision the admin edited
   * (0 for none): if another was published since, nothing is written and the
   * answer says which revision is now current.
   */
  async publishNotes(industryCode: string, sections: NoteSection[], note: string, by: string, basedOn: number): Promise<NotesRevision> {
    const { step, seq } = await appendStep(
      async () => {
        const history = await this.notesHistory(industryCode);
        return { state: history.at(-1) ?? null, seq: history.length };
      },
      (_latest, seq) => {
        if (seq !== basedOn) {
          throw platformError('CONFLICT', `本行业监管内容已更新为第 ${seq} 版，请在最新版本上修改`, `The notes are now at revision ${seq}; edit the latest revision`, { field: 'input.basedOnRevision' });
        }
        return { industryCode, sections, note, by, at: new Date() };
      },
      (revision, seq) => insertOnce(this.notes, { _id: stepId(industryCode, seq), seq, ...revision }),
    );
    return { _id: stepId(industryCode, seq), seq, ...step! };
  }
}
