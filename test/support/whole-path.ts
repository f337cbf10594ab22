import mongoose, { type Connection } from 'mongoose';
import type { Identity } from '../../shared/identity';
import { department } from '../../shared/registry';
import { graphql } from './client';
import { freshBusiness, ONE_ITEM, TWO_ITEMS } from './paths';
import { sampleValues } from './sample-values';
import type { Walkthrough } from './walkthrough';

/**
 * The whole path under faults, shared by the kill -9 soak and the scale-out
 * soak: a walker that takes one business from submission to permit (and
 * revokes every third licence), retrying as a client would while services
 * come and go; and the invariants, checked from the databases themselves.
 * Industries: test/support/paths.ts (market regulation, and commerce).
 */
export interface WalkResult {
  applicationId: string;
  revoked: string | null;
}

export function wholePathWalker(gatewayUrl: string, walk: Walkthrough, token: (identity: Identity) => Promise<string>) {
  /** Requests that got no answer within 30 s (a client's timeout): counted, so a hang shows in the soak's output. */
  const stats = { timeouts: 0 };
  const send = <T>(query: string, variables: Record<string, unknown>, bearer?: string) =>
    graphql<T>(`${gatewayUrl}/graphql`, query, variables, bearer, {}, 30_000).catch((error: unknown) => {
      if (String((error as { code?: string }).code).includes('TIMEOUT')) stats.timeouts++;
      throw error;
    });
  /** A GraphQL call that must succeed: retried, as a client would, while services and the database come and go. */
  const call = async <T>(who: Identity | null, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      try {
        const r = await send<T>(query, variables, who ? await token(who) : undefined);
        if (r.data && !r.errors?.length) return r.data;
        const code = r.errors?.[0]?.extensions?.code;
        if (code && !['UNAVAILABLE', 'SUBGRAPH_UNAVAILABLE', 'INTERNAL_SERVER_ERROR', 'CONFLICT'].includes(String(code))) throw new Error(`refused: ${JSON.stringify(r.errors)}`);
      } catch (error) {
        if (String(error).includes('refused:')) throw error;
      }
      if (Date.now() > deadline) throw new Error(`gave up on ${query.slice(0, 60)}`);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 400));
    }
  };

  /** One business through the whole path; each step first looks whether it already happened (a retry after an outage). */
  const walkOne = async (index: number): Promise<WalkResult> => {
    const industry = index % 3 === 2 ? TWO_ITEMS.code : ONE_ITEM.code;
    const business = freshBusiness();
    const applicant = walk.applicant(business.creditCode);
    const mine = async () => (await call<{ applications: { id: string; status: string; items: { itemCode: string; departmentCode: string; reviewId: string; licenceId: string | null; status: string }[] }[] }>(
      applicant,
      '{ applications { id status items { itemCode departmentCode reviewId licenceId status } } }',
    )).applications[0];
    const form = await call<{ applicationForm: { sections: { fields: { key: string; type: string; required: boolean; min: number | null; max: number | null; options: { value: string }[] | null }[] }[] } }>(
      null,
      'query ($i: ID!) { applicationForm(industryCode: $i, answers: {}) { sections { fields { key type required min max options { value } } } } }',
      { i: industry },
    );
    let app = await mine();
    while (!app) {
      const submitted = await send('mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }', {
        input: { industryCode: industry, answers: {}, values: sampleValues(form.applicationForm.sections.flatMap((s) => s.fields), business) },
      }, await token(applicant)).catch(() => undefined);
      void submitted;
      app = await mine();
      if (!app) await new Promise((r) => setTimeout(r, 500));
    }
    const materials = async () => (await call<{ application: { status: string; materials: { code: string; status: string }[] } }>(walk.clerk(), 'query ($id: ID!) { application(id: $id) { status materials { code status } } }', { id: app.id })).application;
    for (let m = await materials(); m.status === 'SUBMITTED' && m.materials.some((x) => x.status === 'MISSING'); m = await materials()) {
      const missing = m.materials.find((x) => x.status === 'MISSING')!;
      const input = missing.code === 'business-licence'
        ? { applicationId: app.id, materialCode: missing.code, heldReference: 'ELICENCE:business-licence' }
        : { applicationId: app.id, materialCode: missing.code, file: { name: `${missing.code}.pdf`, mediaType: 'application/pdf', contentBase64: Buffer.from(`%PDF-1.4 ${missing.code}`).toString('base64') } };
      await call(applicant, 'mutation ($input: AttachMaterialInput!) { attachMaterial(input: $input) { status } }', { input });
    }
    for (let current = await mine(); current.status !== 'DECIDED'; current = await mine()) {
      // Accepted until it is: an acceptance lost to a killed service is asked again, as a clerk would.
      if (current.status === 'SUBMITTED') {
        await send('mutation ($id: ID!) { acceptApplication(id: $id) { id } }', { id: app.id }, await token(walk.clerk())).catch(() => undefined);
      }
      for (const item of current.items.filter((i) => i.status === 'DISPATCHED')) {
        const ns = department(item.departmentCode)!.graphqlName;
        const review = (await call<Record<string, { review: { state: string } | null }>>(walk.reviewer(item.departmentCode), `query ($id: ID!) { ${ns} { review(id: $id) { state } } }`, { id: item.reviewId }))[ns].review;
        if (review?.state === 'PENDING') {
          await send(`mutation ($id: ID!) { ${ns} { approve(reviewId: $id) { state } } }`, { id: item.reviewId }, await token(walk.reviewer(item.departmentCode))).catch(() => undefined);
        }
      }
      await new Promise((r) => setTimeout(r, 400));
    }
    const permitOf = async () => (await call<{ permitForApplication: { id: string; code: string } | null }>(walk.issuer(), 'query ($id: ID!) { permitForApplication(applicationId: $id) { id code } }', { id: app.id })).permitForApplication;
    for (let permit = await permitOf(); !permit; permit = await permitOf()) {
      await send('mutation ($id: ID!) { issuePermit(applicationId: $id) { id } }', { id: app.id }, await token(walk.issuer())).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
    }
    const decided = await mine();
    if (index % 3 === 0) {
      const item = decided.items[0];
      const ns = department(item.departmentCode)!.graphqlName;
      const status = async () => (await call<Record<string, { licence: { status: string } | null }>>(null, `query ($id: ID!) { ${ns} { licence(id: $id) { status } } }`, { id: item.licenceId }))[ns].licence?.status;
      while ((await status()) === 'VALID') {
        await send(`mutation ($id: ID!) { ${ns} { endLicence(licenceId: $id, ending: REVOKED, reason: "浸泡测试：吊销") { status } } }`, { id: item.licenceId }, await token(walk.reviewer(item.departmentCode))).catch(() => undefined);
      }
    }
    return { applicationId: app.id, revoked: index % 3 === 0 ? decided.items[0].licenceId : null };
  };

  return { walkOne, stats };
}

/** The services the walked industries touch. */
export const WALKED_SERVICES = ['applications', 'permit', 'market-regulation', 'commerce'];

/**
 * Every invariant of the walked applications, from the databases: nothing
 * left in an outbox, one licence per approval, one permit version per
 * decided application, every revocation voided its permit, no event applied
 * twice. Returns how many inbox claims were taken over after a crash.
 */
export async function checkWholePathInvariants(options: { mongoUri: string; dbPrefix: string; results: WalkResult[] }): Promise<{ takeovers: number }> {
  const { results } = options;
  const connections = new Map<string, Connection>();
  const dbOf = async (service: string) => {
    if (!connections.has(service)) {
      const c = mongoose.createConnection(options.mongoUri, { dbName: `${options.dbPrefix}${service.replace(/-/g, '_')}` });
      await c.asPromise();
      connections.set(service, c);
    }
    return connections.get(service)!.db!;
  };
  try {
    const services = WALKED_SERVICES;
    // Nothing left in any outbox, once deliveries have caught up.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const left = await Promise.all(services.map(async (s) => (await dbOf(s)).collection('outbox').countDocuments()));
      if (left.every((n) => n === 0)) break;
      if (Date.now() > deadline) throw new Error(`outboxes not empty: ${services.map((s, i) => `${s}=${left[i]}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }

    // One licence per approval, and one approval per review and round.
    for (const dept of ['market-regulation', 'commerce']) {
      const d = await dbOf(dept);
      const steps = await d.collection('reviews').find({ record: 'STEP', kind: 'DECIDED' }).toArray();
      const perRound = new Set(steps.map((s) => `${s.reviewId}#${s.round}`));
      expect(perRound.size).toBe(steps.length);
      const approvals = steps.filter((s) => s.decision === 'APPROVED');
      const licences = await d.collection('licences').find({ record: 'LICENCE' }).toArray();
      expect(licences.map((l) => l.reviewId).sort()).toEqual(approvals.map((a) => a.reviewId).sort());
    }

    // Every decided application: DECIDED, each item decided once, exactly one permit version.
    const apps = await dbOf('applications');
    const permits = await dbOf('permit');
    for (const { applicationId } of results) {
      const steps = await apps.collection('application_steps').find({ applicationId }).toArray();
      const decidedItems = steps.filter((s) => s.kind === 'ITEM_DECIDED').map((s) => `${s.outcome.itemCode}#${s.outcome.round}`);
      expect(new Set(decidedItems).size).toBe(decidedItems.length);
      expect(steps.some((s) => (s.settles ?? []).includes('DECIDED'))).toBe(true);
      const versions = await permits.collection('permits').find({ record: 'VERSION', applicationId }).toArray();
      expect(versions.map((v) => v.version)).toEqual([1]);
      // Each notification once.
      const keys = (await apps.collection('notifications').find({ applicationId }).toArray()).map((n) => n.key);
      expect(new Set(keys).size).toBe(keys.length);
    }

    // Every ended licence's permit is VOID in storage.
    for (const { applicationId, revoked } of results.filter((r) => r.revoked)) {
      expect(await permits.collection('permits').findOne({ _id: `${applicationId}:v1:VOIDED` as never })).toMatchObject({ licenceId: revoked });
    }
    const ended = (await Promise.all(['market-regulation', 'commerce'].map(async (d) => (await dbOf(d)).collection('licences').find({ record: 'ENDED' }).toArray()))).flat();
    expect(ended.map((e) => e.licenceId).sort()).toEqual(results.filter((r) => r.revoked).map((r) => r.revoked).sort());

    // No event applied twice: every claim in every inbox is applied, each once (a takeover is a second attempt of the same claim).
    let takeovers = 0;
    for (const service of services) {
      const d = await dbOf(service);
      const claimed = (await d.collection('processed_events').find({}).project({ _id: 1 }).toArray()).map((c) => String(c._id));
      const applied = new Set((await d.collection('applied_events').find({}).project({ _id: 1 }).toArray()).map((c) => String(c._id)));
      expect({ service, open: claimed.filter((id) => !applied.has(id)) }).toEqual({ service, open: [] });
      takeovers += await d.collection('inbox_attempts').countDocuments();
    }
    return { takeovers };
  } finally {
    for (const c of connections.values()) await c.close();
  }
}
