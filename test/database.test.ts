import { spawn } from 'node:child_process';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { ensureIndexes, IndexCheckError, isIdIndex, planUsesIndex, type IndexDeclaration } from '../shared/db';
import { INBOX_INDEXES, RELAY_INDEXES } from '../shared/events';
import { REPO_ROOT } from '../shared/registry';
import { byIds, readLog } from '../shared/records';
import { DepartmentStore } from '../shared/department/store';
import { PermitStore } from '../subgraphs/permit/store';
import { ApplicationStore } from '../subgraphs/applications/store';
import { EditionStore } from '../subgraphs/applications/editions';
import { freePort, generateSecrets, Platform } from './support/launcher';
import { killable, ownDatabase, type OwnDatabase } from './support/own-database';

/**
 * The indexes each store declares are made and checked at start, and lookups
 * by id are answered from the `_id` index: on the embedded FerretDB that takes
 * the patch in scripts/lib/database.ts, and the upstream build is refused.
 * (How lookups keep their cost as the data grows: `npm run bench:database`.)
 */
const { MongoClient } = mongoose.mongo;
const declared: Record<string, readonly IndexDeclaration[]> = {
  applications: [...ApplicationStore.indexes, ...EditionStore.indexes],
  permit: PermitStore.indexes,
  department: DepartmentStore.indexes,
  events: [...RELAY_INDEXES, ...INBOX_INDEXES],
};

describe('declared indexes, on the database the tests run on', () => {
  const client = new MongoClient(process.env.MONGODB_URI!, { monitorCommands: true });
  const prefix = `indexes_${process.pid}_`;
  afterAll(async () => {
    for (const name of Object.keys(declared)) await client.db(`${prefix}${name}`).dropDatabase();
    await client.close();
  });

  test.each(Object.keys(declared))('%s: every declared index exists after the start check, and a lookup by id uses its index', async (name) => {
    const db = client.db(`${prefix}${name}`);
    await ensureIndexes(db, declared[name]);
    for (const index of declared[name]) {
      const keys = (await db.collection(index.collection).listIndexes().toArray()).map((i) => JSON.stringify(i.key));
      expect(keys).toContain(JSON.stringify(index.keys));
    }
    // A second start finds them all and changes nothing.
    await ensureIndexes(db, declared[name]);
    const byId = declared[name].filter(isIdIndex);
    expect(byId.length).toBeGreaterThan(0);
    for (const index of byId) {
      for (const filter of [{ _id: 'some-id' }, { _id: { $in: ['some-id', 'another-id'] } }]) {
        const explain = await db.collection<{ _id: string }>(index.collection).find(filter).explain();
        expect(planUsesIndex(explain)).toBe(true);
      }
    }
  });

  test('byIds reads many documents in one query, in the order asked, leaving out the missing; readLog stops at the first gap', async () => {
    const db = client.db(`${prefix}records`);
    const records = db.collection<{ _id: string; n: number }>('records');
    await records.insertMany(['a', 'b', 'c', 'log#1', 'log#2', 'log#3', 'log#4', 'log#5', 'log#7'].map((id, n) => ({ _id: id, n })));
    const counted = await countCommands(() => byIds(records, ['c', 'missing', 'a', 'c']));
    expect(counted.result.map((d) => d._id)).toEqual(['c', 'a']);
    expect(counted.finds).toEqual([{ _id: { $in: ['c', 'missing', 'a'] } }]);
    const log = await countCommands(() => readLog(records, (n) => `log#${n}`));
    expect(log.result.map((d) => d._id)).toEqual(['log#1', 'log#2', 'log#3', 'log#4', 'log#5']);
    expect(log.finds).toHaveLength(2);
    expect((await readLog(records, (n) => `log#${n}`, 4, 3)).map((d) => d._id)).toEqual(['log#3', 'log#4', 'log#5']);
    await db.dropDatabase();
  });

  /** What `run` sent as `find` filters, through a client that monitors its commands. */
  async function countCommands<T>(run: () => Promise<T>): Promise<{ result: T; finds: unknown[] }> {
    const finds: unknown[] = [];
    const listener = (event: { commandName: string; command: { filter?: unknown } }) => {
      if (event.commandName === 'find') finds.push(event.command.filter);
    };
    client.on('commandStarted', listener);
    try {
      return { result: await run(), finds };
    } finally {
      client.off('commandStarted', listener);
    }
  }

  test('a unique declared index refuses a second application with the same number', async () => {
    const db = client.db(`${prefix}applications`);
    await ensureIndexes(db, declared.applications);
    const applications = db.collection<{ _id: string; number: string }>('applications');
    await applications.insertOne({ _id: 'a1', number: 'SY-20261203-AAAAAA' });
    await expect(applications.insertOne({ _id: 'a2', number: 'SY-20261203-AAAAAA' })).rejects.toMatchObject({ code: 11000 });
    expect(await applications.countDocuments({})).toBe(1);
  });
});

// Only where the tests start the embedded FerretDB themselves (not against a given MONGODB_URI).
(killable ? describe : describe.skip)('the embedded FerretDB: patched, and the unpatched build refused', () => {
  let upstream: OwnDatabase;
  beforeAll(async () => {
    upstream = await ownDatabase('upstream', 'upstream');
  }, 300000);
  afterAll(async () => upstream?.stop());

  test('upstream FerretDB 1.24.2 reads the whole table for a lookup by id; the patched build searches the index', async () => {
    const plans: Record<string, string> = {};
    for (const [label, uri] of [['upstream', upstream.uri], ['patched', process.env.MONGODB_URI!]]) {
      const client = new MongoClient(uri);
      const permits = client.db(`plan_${process.pid}`).collection<{ _id: string; record: string }>('permits');
      await permits.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `p${i}`, record: 'VERSION' })));
      plans[label] = JSON.stringify((await permits.find({ _id: 'p7' }).explain()).queryPlanner);
      // Either build: a filter on any other field is read by scanning (why every read of current state goes by id).
      expect(planUsesIndex(await permits.find({ record: 'VERSION' }).explain())).toBe(false);
      expect(await permits.findOne({ _id: 'p7' })).toEqual({ _id: 'p7', record: 'VERSION' });
      plans[`${label} $in`] = JSON.stringify((await permits.find({ _id: { $in: ['p7', 'p9'] } }).explain()).queryPlanner);
      // The filter FerretDB hands SQLite, and the one it still applies: only the ids asked, each once.
      expect((await permits.find({ _id: { $in: ['p9', 'p7', 'p7', 'none'] } }).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual(['p7', 'p9']);
      await client.db(`plan_${process.pid}`).dropDatabase();
      await client.close();
    }
    expect(plans.upstream).toMatch(/SCAN permits_/);
    expect(plans.upstream).not.toMatch(/USING INDEX/);
    expect(plans.patched).toMatch(/SEARCH permits_\w+ USING INDEX permits_\w+__id_/);
    expect(plans['upstream $in']).toMatch(/SCAN permits_/);
    expect(plans['patched $in']).toMatch(/SEARCH permits_\w+ USING INDEX permits_\w+__id_/);
  });

  test('the start check refuses the upstream build, naming the collection', async () => {
    const client = new MongoClient(upstream.uri);
    try {
      const check = ensureIndexes(client.db(`refused_${process.pid}`), PermitStore.indexes);
      await expect(check).rejects.toBeInstanceOf(IndexCheckError);
      await expect(check).rejects.toThrow(/permit_codes: a lookup by _id reads the whole collection/);
    } finally {
      await client.close();
    }
  });

  test('a permit subgraph process started on the upstream build stops at start and says why', async () => {
    const platform = new Platform({
      mongoUri: upstream.uri,
      dbPrefix: `refused_${process.pid}_`,
      gatewayPort: 4000,
      documentsPort: 4080,
      secrets: await generateSecrets('refused'),
      logDir: join(REPO_ROOT, '.data', 'logs-refused'),
    });
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'subgraphs/permit/subgraph.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...platform.env('permit'), PORT: String(await freePort()), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toMatch(/a lookup by _id reads the whole collection/);
    expect(output).not.toMatch(/subgraph ready/);
  });
});
