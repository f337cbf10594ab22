import { randomBytes, randomUUID } from 'node:crypto';
import type { IndexDeclaration } from '../../shared/db';
import type { Connection, mongo } from 'mongoose';
import { platformError } from '../../shared/errors';
import type { OutboxSource } from '../../shared/events';
import { priorOf, type RequestKey } from '../../shared/idempotency';
import { appendStep, byId, insertPending, LostRaceError, readLog, stepId } from '../../shared/records';
import { beijingDate, compactDate } from '../../shared/beijing-calendar';
import { foldApplication, type Application, type ApplicationDoc, type ApplicationStep, type NewApplicationStep } from './application';
import { Archive, finishedKind } from './archive';
import { notify, type NotificationDoc } from './notifications';

/**
 * The bureau's application data. Nothing here is updated after it is written
 * (shared/records.ts), and current state is read by id:
 * - `applications`: the submission; `application_steps`: its log (application.ts);
 * - `material_files`: uploaded bytes, once per SHA-256; `material_uploads`: which
 *   business handed in which file (id `<creditCode>:<sha256>`), so it can be referenced later;
 * - `notifications`: what the applicant is told, the application's own log
 *   (`<applicationId>#<n>`, each with the key that makes it once), each carrying its send;
 * - `calendar_schedules`: official holiday schedules loaded by admins (shared/calendar-store.ts).
 */
export class ApplicationStore {
  readonly db: mongo.Db;
  readonly applications: mongo.Collection<ApplicationDoc>;
  readonly steps: mongo.Collection<ApplicationStep>;
  readonly files: mongo.Collection<{ _id: string; data: Buffer; size: number; mediaType: string }>;
  readonly uploads: mongo.Collection<{ _id: string; creditCode: string; sha256: string; materialCode: string; name: string; size: number; mediaType: string; at: Date }>;
  readonly notifications: mongo.Collection<NotificationDoc>;

  constructor(db: Connection) {
    this.db = db.db!;
    this.applications = db.db!.collection('applications');
    this.steps = db.db!.collection('application_steps');
    this.files = db.db!.collection('material_files');
    this.uploads = db.db!.collection('material_uploads');
    this.notifications = db.db!.collection('notifications');
  }

  /** The collections whose documents carry events or effects: declared here, next to the writes that fill them. */
  outboxSources(): OutboxSource[] {
    return [{ collection: 'application_steps', complete: (doc) => this.completeStep(doc as ApplicationStep) }, { collection: 'notifications' }, { collection: 'calendar_schedules' }];
  }

  /** A step's effects besides its events: what the applicant is told of it, and the file sealed when it finishes the application. Harmless to repeat. */
  async completeStep(step: ApplicationStep): Promise<void> {
    if (step.notification) await notify(this, { _id: step.applicationId, creditCode: step.notification.creditCode }, step.notification.text, step.notification.key);
    if (step.kind === 'REFUSED' || step.kind === 'WITHDRAWN' || step.settles?.length) {
      const app = await this.load(step.applicationId);
      const kind = app && finishedKind(app);
      if (kind) await new Archive(this.db).seal(app, kind);
    }
  }

  /** Made and checked at start (`ensureIndexes`): an application is read by id; the others serve lists and keep numbers unique. */
  static readonly indexes: readonly IndexDeclaration[] = [
    { collection: 'applications', keys: { _id: 1 }, serves: 'an application as submitted' },
    { collection: 'application_steps', keys: { _id: 1 }, serves: 'an application\'s log of steps' },
    { collection: 'material_files', keys: { _id: 1 }, serves: 'an uploaded file, by its hash' },
    { collection: 'notifications', keys: { _id: 1 }, serves: 'what an application\'s applicant was told' },
    { collection: 'applications', keys: { number: 1 }, unique: true, serves: 'application numbers are unique (the index refuses a second)' },
    { collection: 'applications', keys: { creditCode: 1 }, serves: 'a business\'s applications' },
    { collection: 'material_uploads', keys: { creditCode: 1, at: -1 }, serves: 'a business\'s uploads, newest first' },
    { collection: 'notifications', keys: { creditCode: 1, at: 1 }, serves: 'everything a business was told' },
  ];

  static newId(): string {
    return randomUUID();
  }

  /** Human-readable number: SY-<Beijing date>-<6 random chars>, unique by index. */
  static newNumber(now = new Date()): string {
    return `SY-${compactDate(beijingDate(now))}-${randomBytes(4).toString('hex').slice(0, 6).toUpperCase()}`;
  }

  /** An application: its submission and its log, read by id. */
  async load(id: string): Promise<Application | null> {
    const [doc, steps] = await Promise.all([byId(this.applications, id), readLog(this.steps, (n) => stepId(id, n), 6)]);
    return doc ? foldApplication(doc, steps) : null;
  }

  /** Applications matching a filter on the submission (a sweep over the collection: lists, not requests of one), folded. */
  async loadMany(filter: mongo.Filter<ApplicationDoc>, options: { sort?: mongo.Sort; limit?: number } = {}): Promise<Application[]> {
    let cursor = this.applications.find(filter);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.limit) cursor = cursor.limit(options.limit);
    const docs = await cursor.toArray();
    return Promise.all(docs.map(async (doc) => foldApplication(doc, await readLog(this.steps, (n) => stepId(doc._id, n), 6))));
  }

  /**
   * Appends one step to an application's log, decided on its current state
   * (see `appendStep`); `decide` also gets the id the step will have. Returns
   * the application after it, and the step (null when there was nothing to do).
   */
  async append(
    id: string,
    decide: (app: Application, nextStepId: string) => NewApplicationStep | null | Promise<NewApplicationStep | null>,
    request?: RequestKey,
  ): Promise<{ app: Application; step: ApplicationStep | null }> {
    let appended: ApplicationStep | null = null;
    let last: Application | undefined;
    let prior: ApplicationStep | undefined;
    try {
      await appendStep(
        async () => {
          const app = await this.load(id);
          if (!app) throw new Error(`no application ${id}`);
          last = app;
          return { state: app, seq: app.seq };
        },
        async (app, seq) => {
          // Asked before with this idempotency key: the first call's step is the answer.
          prior = priorOf(app.steps, request);
          if (prior) return null;
          const step = await decide(app, stepId(id, seq + 1));
          return step && request ? { ...step, request } : step;
        },
        async (step, seq) => {
          const doc = { ...step, _id: stepId(id, seq), applicationId: id, seq } as ApplicationStep;
          const won = await insertPending(this.db, this.steps, doc);
          if (won) appended = doc;
          return won;
        },
      );
    } catch (error) {
      if (error instanceof LostRaceError) {
        throw platformError('CONFLICT', '该申请正被同时办理，请刷新后重试', 'This application is being handled by someone else at the same moment; reload and try again', { field: 'applicationId' });
      }
      throw error;
    }
    if (!appended) return { app: last!, step: prior ?? null };
    const after = appended as ApplicationStep;
    await this.completeStep(after);
    return { app: foldApplication(last!.doc, [...last!.steps, after]), step: after };
  }
}
