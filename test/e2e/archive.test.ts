import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { addYears, beijingDate } from '../../shared/beijing-calendar';
import type { Identity } from '../../shared/identity';
import { REPO_ROOT } from '../../shared/registry';
import { canonicalJson } from '../../subgraphs/applications/archive';
import { eventually, graphql } from '../support/client';
import { serviceDatabase } from '../support/db';
import { readyApplication } from '../support/paths';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectRefusal } from '../support/refusals';
import { sampleBusiness } from '../support/sample-values';

/**
 * 电子档案 on real processes: a finished application's file is sealed once into
 * the hash chain; the chain checks out through the API and through
 * `npm run archive:verify` against the database; a record altered or removed in
 * the database is found, where it is.
 */
describe('the electronic archive', () => {
  let t: TestPlatform;
  const as = async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(t.graphqlUrl, query, variables, identity ? await t.token(identity) : undefined);
  type Record_ = { seq: number; kind: string; content: { application: { values: Record<string, unknown>; holderName: string }; steps: { kind: string; by: string; at: string; material?: { sha256: string | null; mediaType: string | null } }[]; permits: { code: string; version: number }[] }; contentHash: string; previousHash: string; hash: string; sealedAt: string; retainUntil: string };
  const RECORD = 'query ($id: ID!) { archiveRecord(applicationId: $id) { seq kind content contentHash previousHash hash sealedAt retainUntil } }';
  const sealed = (id: string) => eventually(`archive record of ${id}`, async () => (await as<{ archiveRecord: Record_ | null }>(t.walk.clerk(), RECORD, { id })).data!.archiveRecord ?? undefined);
  const verification = async () => (await as<{ archiveVerification: { records: number; valid: boolean; head: string; problems: { seq: number; problem: string }[] } }>(t.walk.admin(), '{ archiveVerification { records valid head problems { seq problem } } }')).data!.archiveVerification;
  const cli = async () => {
    try {
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/archive-verify.ts'], { cwd: REPO_ROOT, env: { ...process.env, MONGODB_URI: t.platform.options.mongoUri, DB_PREFIX: t.platform.options.dbPrefix } });
      return { code: 0, stdout };
    } catch (error) {
      const e = error as { code: number; stdout: string };
      return { code: e.code, stdout: e.stdout };
    }
  };
  let ids: { issued: string; refused: string; withdrawn: string };

  beforeAll(async () => {
    t = await startTestPlatform();
    await t.walk.publishIndustry('archive-shop', [{ itemCode: 'UM-SIGNBOARD', department: 'urban-management' }]);
    const issued = await t.walk.approvedApplication('archive-shop', {}, sampleBusiness(1401));
    await t.walk.issuePermit(issued.id);
    const refused = (await readyApplication(t.walk, 'archive-shop', sampleBusiness(1402))).id;
    await as(t.walk.clerk(), 'mutation ($id: ID!) { refuseAtIntake(applicationId: $id, reasons: ["经营场所不在本区"]) { status } }', { id: refused });
    const withdrawn = (await readyApplication(t.walk, 'archive-shop', sampleBusiness(1403))).id;
    await as(t.walk.applicant(sampleBusiness(1403).creditCode), 'mutation ($id: ID!) { withdrawApplication(applicationId: $id, reason: "不再经营") { status } }', { id: withdrawn });
    ids = { issued: issued.id, refused, withdrawn };
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('seals each finished application once: the form, material hashes and types, every step with who and when, the permit version', async () => {
    const issued = await sealed(ids.issued);
    expect(issued.kind).toBe('PERMIT_ISSUED');
    expect(issued.content.permits).toEqual([expect.objectContaining({ version: 1, code: expect.any(String) })]);
    expect(Object.keys(issued.content.application.values).length).toBeGreaterThan(0);
    expect(issued.content.steps.map((s) => s.kind)).toEqual(expect.arrayContaining(['MATERIAL_ATTACHED', 'ACCEPTED', 'ITEM_DECIDED']));
    expect(issued.content.steps.every((s) => s.by && s.at)).toBe(true);
    expect(issued.content.steps.filter((s) => s.kind === 'MATERIAL_ATTACHED').every((s) => /^[0-9a-f]{64}$/.test(s.material!.sha256 ?? '') || s.material!.sha256 === null)).toBe(true);
    expect(issued.retainUntil).toBe(addYears(beijingDate(issued.sealedAt), 30));
    // An auditor recomputes both hashes from what the API shows.
    expect(createHash('sha256').update(canonicalJson(issued.content)).digest('hex')).toBe(issued.contentHash);
    expect(createHash('sha256').update(`yiye-archive/1|${issued.seq}|${issued.contentHash}|${issued.previousHash}|${issued.sealedAt}|${issued.retainUntil}`).digest('hex')).toBe(issued.hash);
    expect((await sealed(ids.refused)).kind).toBe('REFUSED');
    expect((await sealed(ids.withdrawn)).kind).toBe('WITHDRAWN');
    // Still in progress: nothing sealed.
    const open = (await readyApplication(t.walk, 'archive-shop', sampleBusiness(1404))).id;
    expect((await as<{ archiveRecord: unknown }>(t.walk.clerk(), RECORD, { id: open })).data!.archiveRecord).toBeNull();
    const chain = await verification();
    expect(chain).toMatchObject({ records: 3, valid: true, problems: [] });
    expectRefusal(await as(t.walk.clerk(), '{ archiveVerification { valid } }'), 'FORBIDDEN');
    expectRefusal(await as(t.walk.applicant(sampleBusiness(1401).creditCode), RECORD, { id: ids.issued }), 'FORBIDDEN');
  });

  it('finds a record altered or removed in the database, where it is, through the API and the command', async () => {
    const intact = await cli();
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain('3 record(s); the chain is intact');
    const db = await serviceDatabase(t.platform, 'applications');
    const archive = db.db!.collection<{ _id: string; content: { application: { holderName: string } } }>('archive');
    try {
      // Someone edits the holder's name in the second record.
      const second = (await archive.findOne({ _id: 'archive#2' }))!;
      await archive.updateOne({ _id: 'archive#2' }, { $set: { 'content.application.holderName': '篡改后的名称' } });
      expect((await verification()).problems).toEqual([{ seq: 2, problem: 'CONTENT_ALTERED' }]);
      const altered = await cli();
      expect(altered.code).toBe(1);
      expect(altered.stdout).toContain('record 2: CONTENT_ALTERED');
      await archive.updateOne({ _id: 'archive#2' }, { $set: { 'content.application.holderName': second.content.application.holderName } });
      expect((await verification()).valid).toBe(true);
      // Someone removes the first record.
      const first = (await archive.findOne({ _id: 'archive#1' }))!;
      await archive.deleteOne({ _id: 'archive#1' });
      const removed = await verification();
      expect(removed.valid).toBe(false);
      expect(removed.problems).toEqual(expect.arrayContaining([{ seq: 2, problem: 'OUT_OF_ORDER' }, { seq: 2, problem: 'BROKEN_LINK' }]));
      await archive.insertOne(first);
      expect(await verification()).toMatchObject({ records: 3, valid: true });
    } finally {
      await db.close();
    }
  });
});
