import '../shared/no-telemetry';
import { connectDatabase } from '../shared/db';
import { Archive, verifyChain } from '../subgraphs/applications/archive';

/**
 * `npm run archive:verify`: checks the whole electronic archive chain in the
 * applications database (MONGODB_URI, DB_PREFIX, as the service is configured),
 * reading the records directly rather than asking the service that wrote them.
 * Prints every problem and exits 1 when the chain is broken; prints the head
 * hash, worth keeping somewhere else to compare with later.
 */
async function main(): Promise<number> {
  const db = await connectDatabase('applications');
  try {
    const result = verifyChain(await new Archive(db.db!).chain());
    for (const p of result.problems) console.log(`record ${p.seq}: ${p.problem} — ${p.detail}`);
    console.log(`${result.records} record(s); ${result.problems.length ? `${result.problems.length} problem(s): the chain is BROKEN` : 'the chain is intact'}; head ${result.head}`);
    return result.problems.length ? 1 : 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`archive:verify failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
