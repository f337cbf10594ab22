import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import { loadSeal, sealPdf, verifySealedPdf } from '../../documents/seal';

/** 电子印章: a PDF signed with the bureau's certificate verifies; one byte changed, or another signer, does not; poppler's pdfsig reads the signature. */
describe('the electronic seal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-'));
  const bureau = loadSeal({ devFile: join(dir, 'bureau.json') });
  const stranger = loadSeal({ devFile: join(dir, 'stranger.json') });
  const pdf = () =>
    new Promise<Buffer>((resolve) => {
      const doc = new PDFDocument({ size: 'A4' });
      const chunks: Buffer[] = [];
      doc.on('data', (c: Buffer) => chunks.push(c));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.text('Comprehensive permit FUDE69WBSMBE');
      doc.end();
    });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the development certificate it generated on first start', () => {
    expect(bureau.development).toBe(true);
    expect(loadSeal({ devFile: join(dir, 'bureau.json') }).certificate.fingerprint256).toBe(bureau.certificate.fingerprint256);
    expect(stranger.certificate.fingerprint256).not.toBe(bureau.certificate.fingerprint256);
  });

  it("verifies the bureau's own signature, and nothing else", async () => {
    const sealed = await sealPdf(await pdf(), bureau);
    expect(verifySealedPdf(sealed, bureau)).toMatchObject({ signed: true, signedByBureau: true, unaltered: true, problem: null, signer: expect.stringContaining('Shunyi') });
    expect(Date.parse(verifySealedPdf(sealed, bureau).signedAt!)).toBeGreaterThan(Date.now() - 60_000);
    // One byte changed inside the signed content: no longer the bureau's document.
    const altered = Buffer.from(sealed);
    altered[200] ^= 0x01; // inside the first signed byte range
    expect(Number(sealed.toString('latin1').match(/\/ByteRange\s*\[\s*0\s+(\d+)/)![1])).toBeGreaterThan(200);
    expect(verifySealedPdf(altered, bureau)).toMatchObject({ signed: true, unaltered: false });
    // Signed by someone else's key, intact: not the bureau's.
    expect(verifySealedPdf(await sealPdf(await pdf(), stranger), bureau)).toMatchObject({ signed: true, signedByBureau: false, unaltered: true });
    expect(verifySealedPdf(await pdf(), bureau)).toMatchObject({ signed: false, signedByBureau: false });
  });

  it('is a standard PDF signature that poppler recognises', async () => {
    const file = join(dir, 'sealed.pdf');
    writeFileSync(file, await sealPdf(await pdf(), bureau));
    const out = execFileSync('pdfsig', [file], { encoding: 'utf8' });
    expect(out).toContain('Signature #1');
    expect(out).toMatch(/Signature Validation: Signature is Valid/);
  });
});
