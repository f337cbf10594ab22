import { eventually, graphql } from './client';
import { sampleBusiness, sampleValues } from './sample-values';
import type { Walkthrough } from './walkthrough';
import type { Identity } from '../../shared/identity';

/**
 * Short paths through the gateway for tests that need many applications:
 * small test industries (published by an admin like any other), and the steps
 * each race or soak trial starts from. Every call is a real GraphQL request.
 */
export const ONE_ITEM = { code: 'race-one', items: [{ itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' }] };
export const TWO_ITEMS = {
  code: 'race-two',
  items: [
    { itemCode: 'MR-FOOD-BUSINESS', department: 'market-regulation' },
    { itemCode: 'CO-ALCOHOL-RETAIL', department: 'commerce' },
  ],
};

export async function publishTestIndustries(walk: Walkthrough): Promise<void> {
  await walk.publishIndustry(ONE_ITEM.code, ONE_ITEM.items);
  await walk.publishIndustry(TWO_ITEMS.code, TWO_ITEMS.items);
}

let serial = Math.floor(Math.random() * 500_000);
/** A business no other trial uses. */
export const freshBusiness = () => sampleBusiness(++serial);

/** Submitted (by the window) with every material attached; not yet accepted. */
export async function readyApplication(walk: Walkthrough, industry: string, business = freshBusiness()) {
  const form = await walk.form(industry, {});
  const submitted = await walk.submit(walk.clerk(), industry, {}, sampleValues(form.sections.flatMap((s) => s.fields), business));
  await walk.attachMissingMaterials(submitted.id);
  return { id: submitted.id, business };
}

/** Accepted, with every review waiting in its department. */
export async function acceptedApplication(walk: Walkthrough, industry: string, business = freshBusiness()) {
  const { id } = await readyApplication(walk, industry, business);
  const accepted = await walk.accept(id);
  for (const item of accepted.items) await walk.waitForReview(item.departmentCode, item.reviewId);
  return { ...accepted, business };
}

/** Every item approved and the permit issued. */
export async function issuedPermit(walk: Walkthrough, industry: string, business = freshBusiness()) {
  const app = await acceptedApplication(walk, industry, business);
  const licences = [];
  for (const item of app.items) {
    const decided = await walk.decide(item.departmentCode, item.reviewId, { approve: true });
    licences.push({ departmentCode: item.departmentCode, licenceId: decided.licence!.id });
  }
  await walk.waitUntilDecided(app.id);
  const permit = await walk.issuePermit(app.id);
  return { applicationId: app.id, permit, licences, business };
}

/** A GraphQL call as someone, returning the whole response (data and errors). */
export function caller(graphqlUrl: string, token: (identity: Identity) => Promise<string>) {
  return async <T = Record<string, unknown>>(identity: Identity | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(graphqlUrl, query, variables, identity ? await token(identity) : undefined);
}

/** Runs `trial` `count` times, `parallel` at a time; returns every result in order. */
export async function trials<T>(count: number, parallel: number, trial: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await trial(index);
      }
    }),
  );
  return results;
}

export { eventually };
