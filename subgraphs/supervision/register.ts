import type { Connection, mongo } from 'mongoose';
import type { IndexDeclaration } from '../../shared/db';
import type { EventHandler, EventPayload } from '../../shared/events';
import { byId, insertOnce } from '../../shared/records';

/**
 * The permit holders supervision knows of, from the permit service's events:
 * each version as it was issued (`<permitId>`, from `PermitListed`) and each
 * voiding (`<permitId>:VOIDED`, from `PermitVoided`), inserted once, and
 * each version's code (`code:<code>`), which is what people scan and report. A version
 * is current until it is void or a later version supersedes it; the current
 * ones of an industry are whom a random draw chooses from.
 */
type Listing = EventPayload<'PermitListed'>;
type Voiding = EventPayload<'PermitVoided'>;
export type RegisterRecord =
  | ({ record: 'VERSION' } & Listing & { _id: string })
  | ({ record: 'VOIDED' } & Voiding & { _id: string })
  | { record: 'CODE'; _id: string; permitId: string };

export interface SupervisedPermitView extends Listing {
  status: 'VALID' | 'VOID' | 'SUPERSEDED';
}

export class PermitRegister {
  static readonly indexes: readonly IndexDeclaration[] = [{ collection: 'supervised_permits', keys: { _id: 1 }, serves: 'a permit version or its voiding, by id' }];
  private readonly records: mongo.Collection<RegisterRecord>;

  constructor(db: Connection) {
    this.records = db.db!.collection<RegisterRecord>('supervised_permits');
  }

  /**
   * Every version of an industry's permits (of every industry when none is named) with its status. A list, so it reads
   * the industry's records by a field other than the id (the whole collection on
   * the embedded database); it serves plans and the analysts, never a scan.
   */
  async ofIndustry(industryCode?: string): Promise<SupervisedPermitView[]> {
    const records = await this.records.find(industryCode ? { industryCode } : { record: { $in: ['VERSION', 'VOIDED'] } }).toArray();
    const voided = new Set(records.filter((r) => r.record === 'VOIDED').map((r) => r.permitId));
    const versions = records.filter((r): r is Extract<RegisterRecord, { record: 'VERSION' }> => r.record === 'VERSION');
    const superseded = new Set(versions.flatMap((v) => (v.supersedes ? [v.supersedes] : [])));
    return versions
      .map(({ _id: _ignored, record: _record, ...listing }) => ({
        ...listing,
        status: voided.has(listing.permitId) ? ('VOID' as const) : superseded.has(listing.permitId) ? ('SUPERSEDED' as const) : ('VALID' as const),
      }))
      .sort((a, b) => a.permitId.localeCompare(b.permitId));
  }

  /** The version a permit code names. */
  async byCode(code: string): Promise<Listing | null> {
    const entry = await byId(this.records, `code:${code}`);
    return entry?.record === 'CODE' ? this.version(entry.permitId) : null;
  }

  /** How each licence of this version and the versions it superseded ended (a version is voided when one of its licences ends). */
  async endingsOf(permitId: string): Promise<{ licenceId: string; ending: string }[]> {
    const endings = [];
    for (let id: string | undefined = permitId; id; ) {
      const [version, voided]: [Listing | null, RegisterRecord | null] = await Promise.all([this.version(id), byId(this.records, `${id}:VOIDED`)]);
      if (voided?.record === 'VOIDED') endings.push({ licenceId: voided.licenceId, ending: voided.ending });
      id = version?.supersedes;
    }
    return endings;
  }

  /** One version as issued, by its id. */
  async version(permitId: string): Promise<Listing | null> {
    const record = await byId(this.records, permitId);
    return record?.record === 'VERSION' ? record : null;
  }

  handlers(): Record<string, EventHandler> {
    return {
      // The contract lets only the permit service send these: it is the one that issues and voids permits.
      PermitListed: async (event) => {
        const listing = event.payload as Listing;
        // The code first, so a report against a code finds every version that exists.
        await insertOnce(this.records, { _id: `code:${listing.code}`, record: 'CODE', permitId: listing.permitId });
        await insertOnce(this.records, { _id: listing.permitId, record: 'VERSION', ...listing });
      },
      PermitVoided: async (event) => {
        const voiding = event.payload as Voiding;
        await insertOnce(this.records, { _id: `${voiding.permitId}:VOIDED`, record: 'VOIDED', ...voiding });
      },
    };
  }
}
