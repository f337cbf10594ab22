import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { PermitStore } from '../../subgraphs/permit/store';
import type { Platform } from '../support/launcher';

/**
 * Permits for the benches, cloned from one walked through the whole path:
 * every document the permit subgraph and the departments keep for it, with
 * new application id, permit code and licence ids. A clone scans like the
 * original (the scan reads nothing else), without walking each application.
 */
type Doc = Record<string, unknown> & { _id: string };

/** The permit subgraph's collections a permit lives in; each licence lives in its department's `licences`. */
const PERMIT_COLLECTIONS = ['permit_codes', 'permits', 'permit_requests', 'licence_endings'];

export interface PermitCloner {
  /** The template's documents: how many, and where. */
  describe: string;
  licences: number;
  /** Stores `count` more clones; returns their codes. */
  clone: (count: number) => Promise<string[]>;
  close: () => Promise<void>;
}

export async function permitCloner(platform: Platform, templateCode: string): Promise<PermitCloner> {
  const client = new mongoose.mongo.MongoClient(platform.options.mongoUri);
  const dbOf = (service: string) => client.db(`${platform.options.dbPrefix}${service.replace(/-/g, '_')}`);
  const codeDoc = (await dbOf('permit').collection<Doc>('permit_codes').findOne({ _id: templateCode }))!;
  const applicationId = codeDoc.applicationId as string;
  const version = (await dbOf('permit').collection<Doc>('permits').findOne({ _id: codeDoc.permitId as string }))!;
  const licences = (version.items as { licenceId: string | null; departmentCode: string }[]).filter((i): i is { licenceId: string; departmentCode: string } => i.licenceId !== null);
  // Setting up, not measured: found by id prefix.
  const startsWith = (prefix: string) => ({ _id: { $regex: `^${prefix.replace(/[^\w-]/g, '\\$&')}` } }) as never;
  const parts: { db: string; collection: string; docs: Doc[] }[] = [];
  for (const collection of PERMIT_COLLECTIONS) {
    parts.push({ db: 'permit', collection, docs: collection === 'permit_codes' ? [codeDoc] : await dbOf('permit').collection<Doc>(collection).find(startsWith(applicationId)).toArray() });
  }
  for (const { licenceId, departmentCode } of licences) {
    parts.push({ db: departmentCode, collection: 'licences', docs: await dbOf(departmentCode).collection<Doc>('licences').find(startsWith(licenceId)).toArray() });
  }
  const databases = [...new Set(parts.map((p) => p.db))];
  const documents = parts.reduce((n, p) => n + p.docs.length, 0);

  return {
    describe: `${licences.length} licences (${[...new Set(licences.map((l) => l.departmentCode))].join(', ')}), ${documents} documents (${parts.map((p) => `${p.db}.${p.collection} ${p.docs.length}`).join(', ')})`,
    licences: licences.length,
    clone: async (count) => {
      const codes: string[] = [];
      for (let done = 0; done < count; ) {
        const batch = Math.min(2000, count - done);
        const clones = Array.from({ length: batch }, () => newIds(applicationId, templateCode, licences));
        // Each database written in parallel, its collections one after another.
        await Promise.all(
          databases.map(async (db) => {
            for (const part of parts.filter((p) => p.db === db && p.docs.length)) {
              await dbOf(db).collection<Doc>(part.collection).insertMany(clones.flatMap((c) => part.docs.map((d) => rewrite(d, c.replacements) as Doc)), { ordered: false });
            }
          }),
        );
        codes.push(...clones.map((c) => c.code));
        done += batch;
      }
      return codes;
    },
    close: () => client.close(),
  };
}

/** New ids for one clone: application, permit code and each licence. */
function newIds(applicationId: string, code: string, licences: { licenceId: string }[]): { code: string; replacements: [string, string][] } {
  const newCode = PermitStore.newCode();
  return {
    code: newCode,
    replacements: [
      [applicationId, `${applicationId.slice(0, 24)}${randomBytes(6).toString('hex')}`],
      [code, newCode],
      ...licences.map((l): [string, string] => [l.licenceId, `lic-${randomBytes(12).toString('hex')}`]),
    ],
  };
}

/** A deep copy with every id replaced wherever it occurs in a string. */
function rewrite(value: unknown, replacements: [string, string][]): unknown {
  if (typeof value === 'string') return replacements.reduce((s, [from, to]) => (s.includes(from) ? s.split(from).join(to) : s), value);
  if (Array.isArray(value)) return value.map((v) => rewrite(v, replacements));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, replacements)]));
  }
  return value;
}
