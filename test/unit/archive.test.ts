import { createHash } from 'node:crypto';
import { canonicalJson, GENESIS, recordHash, verifyChain, type ArchiveContent, type ArchiveRecord } from '../../subgraphs/applications/archive';

/** The archive chain's rule, by hand: canonical JSON, each record's hashes, and what a broken chain reports. */
describe('the archive chain', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const chain = (n: number): ArchiveRecord[] => {
    const records: ArchiveRecord[] = [];
    for (let seq = 1; seq <= n; seq++) {
      const content = { applicationId: `app-${seq}`, kind: 'REFUSED', application: { number: `N${seq}` }, steps: [], permits: [] } as ArchiveContent;
      const base = { _id: `archive#${seq}`, seq, applicationId: content.applicationId, kind: content.kind, content, contentHash: sha(canonicalJson(content)), previousHash: records.at(-1)?.hash ?? GENESIS, sealedAt: new Date(Date.UTC(2026, 11, seq)), retainUntil: '2036-12-01' };
      records.push({ ...base, hash: recordHash(base) });
    }
    return records;
  };

  it('writes JSON with keys sorted at every level, so the same content always hashes the same', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
    expect(canonicalJson(new Date('2026-12-03T00:00:00Z'))).toBe('"2026-12-03T00:00:00.000Z"');
  });

  it('finds nothing wrong in an intact chain, whatever order it is read in', () => {
    const records = chain(4);
    expect(verifyChain([...records].reverse())).toMatchObject({ records: 4, problems: [], head: records[3].hash });
    expect(verifyChain([])).toEqual({ records: 0, problems: [], head: GENESIS });
  });

  it('says where content was altered, a record was removed, or two swapped places', () => {
    const altered = chain(3);
    altered[1] = { ...altered[1], content: { ...altered[1].content, application: { number: 'FORGED' } } };
    expect(verifyChain(altered).problems.map((p) => [p.seq, p.problem])).toEqual([[2, 'CONTENT_ALTERED']]);

    const removed = chain(3).filter((r) => r.seq !== 2);
    expect(verifyChain(removed).problems.map((p) => [p.seq, p.problem])).toEqual([[3, 'OUT_OF_ORDER'], [3, 'BROKEN_LINK']]);

    // A forger recomputes the content hash but not the record's own.
    const rehashed = chain(2);
    const forged = { ...rehashed[0].content, application: { number: 'FORGED' } };
    rehashed[0] = { ...rehashed[0], content: forged, contentHash: sha(canonicalJson(forged)) };
    expect(verifyChain(rehashed).problems.map((p) => [p.seq, p.problem])).toEqual([[1, 'RECORD_ALTERED']]);

    // Two records swapped under each other's ids: out of order and unlinked.
    const swapped = chain(3);
    const [a, b] = [swapped[0], swapped[1]];
    swapped[0] = { ...b, _id: a._id };
    swapped[1] = { ...a, _id: b._id };
    expect(verifyChain(swapped).problems.map((p) => p.problem)).toContain('OUT_OF_ORDER');
  });
});
