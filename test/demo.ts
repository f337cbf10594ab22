import { readFileSync, existsSync } from 'node:fs';
import { request } from 'undici';
import { eventually } from './support/client';
import { sampleBusiness, sampleValues } from './support/sample-values';
import { DEV_SECRETS_FILE, devToken } from './support/launcher';
import { Walkthrough } from './support/walkthrough';

/**
 * `npm run demo`: walks the whole 一业一证 path against a running platform
 * (GATEWAY_URL, default http://127.0.0.1:4000) as each role would, printing
 * every step. Exits non-zero as soon as a step fails.
 */
const INDUSTRY = process.env.DEMO_INDUSTRY ?? 'restaurant';

function step(n: number, text: string) {
  console.log(`\n[${n}] ${text}`);
}

async function main() {
  const gatewayUrl = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000';
  // Pages, PDFs and QR images come from the documents service.
  const documentsUrl = process.env.DOCUMENTS_URL ?? 'http://127.0.0.1:4080';
  // `npm start` signs with the secret it keeps in .data; JWT_SECRET is for a platform started otherwise.
  const secret = existsSync(DEV_SECRETS_FILE) ? JSON.parse(readFileSync(DEV_SECRETS_FILE, 'utf8')).jwt : process.env.JWT_SECRET;
  if (!secret) throw new Error('no JWT secret: start the platform with `npm start` first, or set JWT_SECRET');
  const walk = new Walkthrough(gatewayUrl, (identity) => devToken(secret, identity, '15m'));

  step(1, `一次告知 — the guide for "${INDUSTRY}", every case`);
  const fullGuide = await walk.guide(INDUSTRY, null);
  for (const item of fullGuide.items) console.log(`    ${item.code}  ${item.departmentNameZh}  承诺 ${item.committedDays} 个工作日`);
  console.log(`    materials after merging: ${fullGuide.materials.length}; committed working days: ${fullGuide.committedDays}`);

  // Answer "yes" (or the first option) to every question, so every item of the industry applies.
  const industry = await walk.industry(INDUSTRY);
  const answers = Object.fromEntries(industry.questions.map((q) => [q.key, q.type === 'BOOLEAN' ? true : q.options?.[0]?.value]));
  step(2, `一表申请 — the merged form for answers ${JSON.stringify(answers)}`);
  const form = await walk.form(INDUSTRY, answers);
  const fields = form.sections.flatMap((s) => s.fields);
  console.log(`    items: ${form.itemCodes.join(', ')}; ${fields.length} fields in ${form.sections.length} sections`);

  const business = sampleBusiness();
  step(3, `一网通办 — the applicant ${business.companyName} (${business.creditCode}) submits online`);
  const online = await walk.submit(walk.applicant(business.creditCode), INDUSTRY, answers, sampleValues(fields, business));
  console.log(`    application ${online.number} (${online.channel}), status ${online.status}`);

  const walkIn = sampleBusiness();
  step(4, `一窗受理 — a clerk submits for ${walkIn.companyName} at the window`);
  const atWindow = await walk.submit(walk.clerk(), INDUSTRY, answers, sampleValues(fields, walkIn));
  console.log(`    application ${atWindow.number} (${atWindow.channel}, clerk ${atWindow.submittedByClerk})`);

  step(5, 'The window accepts the online application and dispatches each item to its department');
  const accepted = await walk.accept(online.id);
  for (const item of accepted.items) console.log(`    ${item.itemCode} → ${item.departmentCode}: ${item.status}`);

  step(6, 'Each department reviews its own item (the last one is denied, to show a noted item)');
  const last = accepted.items[accepted.items.length - 1];
  for (const item of accepted.items) {
    await walk.waitForReview(item.departmentCode, item.reviewId);
    const decision =
      item === last && accepted.items.length > 1
        ? await walk.decide(item.departmentCode, item.reviewId, { approve: false, reasons: ['排水设施未通过现场核查（演示）'] })
        : await walk.decide(item.departmentCode, item.reviewId, { approve: true });
    console.log(`    ${item.departmentCode}: ${decision.state}${decision.licence ? `, licence ${decision.licence.id} ${decision.licence.status}` : ''}`);
  }
  const decided = await walk.waitUntilDecided(online.id);
  console.log(`    application status: ${decided.status}`);

  step(7, '一证准营 — the bureau issues the comprehensive permit');
  const permit = await walk.issuePermit(online.id);
  console.log(`    permit code ${permit.code}\n    scan URL    ${permit.scanUrl}`);

  step(8, '一码联动 — scanning the QR code (public, no login)');
  const before = (await walk.scan(permit.code))!;
  printScan(before);
  const page = await request(permit.scanUrl);
  const html = await page.body.text();
  const png = await request(`${documentsUrl}/permits/${permit.code}/qr.png`);
  const pngBytes = Buffer.from(await png.body.arrayBuffer());
  console.log(`    scan page HTTP ${page.statusCode} (${html.length} bytes); QR PNG HTTP ${png.statusCode} (${pngBytes.length} bytes)`);
  if (page.statusCode !== 200 || png.statusCode !== 200 || pngBytes.subarray(1, 4).toString() !== 'PNG') throw new Error('scan page or QR image failed');

  const revoked = decided.items.find((i) => i.status === 'APPROVED' && i.licenceId)!;
  step(9, '一查 — a joint inspection: plan drawn at random (seeded), the drawn inspectors scan the code and record their points');
  const inspected = await walk.jointInspection(INDUSTRY, permit, revoked.departmentCode, `demo-${Date.now()}`);
  console.log(`    plan ${inspected.plan.id}: ${inspected.plan.population.length} holder(s) drawn from, re-run reproduces it: ${inspected.plan.reproduced}`);
  for (const d of inspected.plan.departments) console.log(`    ${d.departmentCode}: inspector ${d.inspectors.map((i) => `${i.name} (${i.id})`).join(', ')}`);
  console.log(`    ${inspected.closed.points.length} points recorded; result ${inspected.closed.result}`);
  for (const f of inspected.closed.followUps) console.log(`    follow-up for ${f.departmentCode}: ${f.kind} on ${f.pointCode}${f.dueDate ? `, due ${f.dueDate}` : ''}`);
  if (inspected.closed.result !== 'FAILED' || inspected.closed.followUps.length !== 1) throw new Error('the inspection should have failed on one point');
  const grade = await walk.riskGrade(permit.code);
  console.log(`    一评 risk grade now ${grade.grade} (score ${grade.score}, drawn with weight ${grade.weight}): ${grade.factors.map((f) => `${f.detailZh} +${f.points}`).join('; ')}`);

  step(10, `${revoked.departmentCode} does not see the failure corrected and revokes licence ${revoked.licenceId}`);
  const ended = await walk.endLicence(revoked.departmentCode, revoked.licenceId!, 'REVOKED', '演示：检查不合格且未整改，依法吊销');
  console.log(`    licence status: ${ended.status}`);

  step(11, 'The next scan shows the permit void (the event reached the permit subgraph) and the last inspection');
  const after = await eventually('permit void', async () => {
    const scanned = (await walk.scan(permit.code))!;
    return scanned.status === 'VOID' ? scanned : undefined;
  });
  printScan(after);
  console.log(`\nstate before: ${before.overallState}; after: ${after.overallState}`);
  if (after.overallState !== 'VOID') throw new Error('permit should be void');
  console.log(`last joint inspection shown to the public: ${after.lastInspection?.closedOn} ${after.lastInspection?.result}`);
  if (after.lastInspection?.result !== 'FAILED') throw new Error('the scan should show the failed inspection');
  console.log('demo passed ✔');
}

function printScan(permit: NonNullable<Awaited<ReturnType<Walkthrough['scan']>>>) {
  console.log(`    ${permit.holderName}  legal rep. ${permit.legalRepresentative}  permit ${permit.status}  overall ${permit.overallState}`);
  if (permit.voidReason) console.log(`    void because: ${permit.voidReason}`);
  for (const item of permit.items) {
    console.log(`      ${item.itemNameZh.padEnd(16)} ${item.permitted ? 'permitted' : 'NOT permitted'}  licence: ${item.licence?.status ?? '—'}`);
  }
}

main().catch((error) => {
  console.error(`\ndemo FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
