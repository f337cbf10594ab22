import { connectDatabase } from '../shared/db';
import { catalogueProblems, repositoryCatalogueData } from '../subgraphs/applications/catalogue';
import { EditionStore } from '../subgraphs/applications/editions';

/**
 * `npm run catalogue:load [-- --draft]`: checks the repository's catalogue
 * (departments' items.json, the bureau's industries.json) and loads it into
 * the applications database as the draft, then publishes it as the next
 * edition unless `--draft` is given. MONGODB_URI defaults to `npm start`'s database.
 */
async function main() {
  const draftOnly = process.argv.includes('--draft');
  const data = repositoryCatalogueData();
  const problems = catalogueProblems(data);
  if (problems.length) {
    for (const p of problems) console.error(`  ${p.path}  ${p.code}  ${p.messageZh} / ${p.messageEn}`);
    throw new Error(`${problems.length} problem(s) in the repository's catalogue; nothing loaded`);
  }
  process.env.MONGODB_URI ??= `mongodb://127.0.0.1:${process.env.FERRETDB_PORT ?? 27018}/`;
  const db = await connectDatabase('applications');
  try {
    const edition = await new EditionStore(db).loadRepository('catalogue:load', !draftOnly);
    console.log(
      `${data.industries.length} industries, ${data.items.length} approval items loaded` +
        (edition.status === 'PUBLISHED' ? `; published as edition ${edition._id}` : ' into the draft (not published)'),
    );
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  console.error(String(error instanceof Error ? error.message : error));
  process.exit(1);
});
