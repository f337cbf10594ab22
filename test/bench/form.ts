import '../../shared/no-telemetry';
import { IDENTITY_HEADER, PUBLIC_IDENTITY, signIdentity } from '../../shared/identity';
import { loadCatalogue } from '../../subgraphs/applications/catalogue';
import { reformFigures } from '../../subgraphs/applications/reform-figures';
import { measure, printResults, startBenchPlatform, type LoadResult } from './bench';

/**
 * `npm run bench:form`: guide and merged-form queries for the largest
 * industry, through the gateway and straight to the applications subgraph, in
 * one run on an isolated platform (its own FerretDB). BENCH_SECONDS per run (default 8).
 */
async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  const catalogue = loadCatalogue();
  const largest = catalogue.industries
    .map((industry) => ({ industry, figures: reformFigures(catalogue, industry) }))
    .sort((a, b) => b.figures.itemCount - a.figures.itemCount || b.figures.formFieldsMerged - a.figures.formFieldsMerged)[0];
  const answers = Object.fromEntries(largest.industry.questions.map((q) => [q.key, q.type === 'BOOLEAN' ? true : q.options?.[0]?.value]));
  console.log(
    `largest industry: ${largest.industry.code} (${largest.figures.itemCount} items, ${largest.figures.formFieldsMerged} merged form fields); ${seconds}s per run, 10 connections\n`,
  );
  const queries = {
    guide: `query ($i: ID!, $a: JSON) { guide(industryCode: $i, answers: $a) { committedDays items { code nameZh departmentNameZh statutoryDays committedDays legalBasis { zh } conditions { zh } materials { code nameZh } remedy { courtZh } } materials { code nameZh itemCodes } } }`,
    form: `query ($i: ID!, $a: JSON) { applicationForm(industryCode: $i, answers: $a) { itemCodes sections { key titleZh fields { key type labelZh required min max maxLength options { value labelZh } itemCodes } } } }`,
  };

  const { platform, stop } = await startBenchPlatform();
  try {
    const results: LoadResult[] = [];
    for (const [name, query] of Object.entries(queries)) {
      const body = JSON.stringify({ query, variables: { i: largest.industry.code, a: answers } });
      // Warm both paths (query plans, caches) before measuring.
      await measure('warm-up', `${platform.gatewayUrl}/graphql`, body, {}, 1);
      results.push(await measure(`${name} via gateway`, `${platform.gatewayUrl}/graphql`, body, {}, seconds));
      // Straight to the subgraph it must carry a gateway signature; one signed identity lasts 60 s.
      const headers = { [IDENTITY_HEADER]: await signIdentity(PUBLIC_IDENTITY, 'applications', platform.options.secrets.identityKeys[0]) };
      results.push(await measure(`${name} direct to applications`, `${platform.serviceUrls.applications}/graphql`, body, headers, seconds));
    }
    printResults(results);
    for (let i = 0; i < results.length; i += 2) {
      const [viaGateway, direct] = [results[i], results[i + 1]];
      console.log(`${viaGateway.label.split(' ')[0]}: gateway/direct throughput ratio ${(viaGateway.rps / Math.max(1, direct.rps)).toFixed(2)}`);
    }
    if (results.some((r) => r.errors > 0)) throw new Error('some requests failed');
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
