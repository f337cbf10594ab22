import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import forge from 'node-forge';
import { SignPdf } from '@signpdf/signpdf';
import { P12Signer } from '@signpdf/signer-p12';
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';

/**
 * 电子印章: the bureau signs each certificate PDF in the PDF itself (a standard
 * PKCS#7 detached signature over the file's byte ranges, which PDF readers and
 * `pdfsig` recognise), with its certificate and key configured per deployment
 * (`SEAL_P12_BASE64`, `SEAL_P12_PASSPHRASE`); without them, a development
 * certificate is generated on first start and kept in `SEAL_DEV_FILE`.
 * `verifySealedPdf` answers whether a PDF handed in is one this bureau signed
 * and unaltered since.
 */
export interface BureauSeal {
  p12: Buffer;
  passphrase: string;
  certificate: X509Certificate;
  development: boolean;
}

const BUREAU = '北京市顺义区政务服务局';

/** A self-signed development certificate and key, as a PKCS#12 file with its passphrase. */
function generateDevelopmentSeal(): { p12Base64: string; passphrase: string } {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(8))}`;
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 86_400_000);
  const name = [
    { name: 'commonName', value: 'Shunyi District Government Service Bureau (development seal)' },
    { name: 'organizationName', value: 'Shunyi District Government Service Bureau' },
    { name: 'countryName', value: 'CN' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, nonRepudiation: true }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const passphrase = forge.util.bytesToHex(forge.random.getBytesSync(16));
  const p12 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], passphrase, { algorithm: '3des' });
  return { p12Base64: Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary').toString('base64'), passphrase };
}

/** The bureau's certificate inside a PKCS#12 file. */
function certificateOf(p12: Buffer, passphrase: string): X509Certificate {
  const parsed = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(p12.toString('binary')), passphrase);
  const bag = parsed.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]?.[0];
  if (!bag?.cert) throw new Error('the seal file holds no certificate');
  return new X509Certificate(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(bag.cert)).getBytes(), 'binary'));
}

export function loadSeal(options: { p12Base64?: string; passphrase?: string; devFile: string }): BureauSeal {
  if (options.p12Base64) {
    const p12 = Buffer.from(options.p12Base64, 'base64');
    return { p12, passphrase: options.passphrase ?? '', certificate: certificateOf(p12, options.passphrase ?? ''), development: false };
  }
  if (!existsSync(options.devFile)) {
    // Written aside and linked into place, so services starting together all read one whole file (the first to link wins).
    mkdirSync(dirname(options.devFile), { recursive: true });
    const aside = `${options.devFile}.${process.pid}.tmp`;
    writeFileSync(aside, JSON.stringify(generateDevelopmentSeal()), { mode: 0o600 });
    try {
      linkSync(aside, options.devFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(aside);
    }
  }
  const stored = JSON.parse(readFileSync(options.devFile, 'utf8')) as { p12Base64: string; passphrase: string };
  const p12 = Buffer.from(stored.p12Base64, 'base64');
  return { p12, passphrase: stored.passphrase, certificate: certificateOf(p12, stored.passphrase), development: true };
}

/** The PDF with the bureau's signature in it. */
export async function sealPdf(pdf: Buffer, seal: BureauSeal): Promise<Buffer> {
  const withPlaceholder = plainAddPlaceholder({ pdfBuffer: pdf, reason: `${BUREAU}电子印章 / electronic seal`, contactInfo: '', name: BUREAU, location: '北京市顺义区', signatureLength: 8192 });
  return new SignPdf().sign(withPlaceholder, new P12Signer(seal.p12, { passphrase: seal.passphrase }));
}

export interface SealCheck {
  /** The file carries a PDF signature at all. */
  signed: boolean;
  /** Signed with this bureau's certificate. */
  signedByBureau: boolean;
  /** The signature covers the whole file, and the file is as it was signed. */
  unaltered: boolean;
  signer: string | null;
  signedAt: string | null;
  problem: string | null;
}

const OID = { messageDigest: forge.pki.oids.messageDigest, signingTime: forge.pki.oids.signingTime };

/** Whether `pdf` is one this bureau signed and nothing in it changed since: checked from the bytes, the signature and the bureau's certificate. */
export function verifySealedPdf(pdf: Buffer, seal: BureauSeal): SealCheck {
  const none = (problem: string, signed = false): SealCheck => ({ signed, signedByBureau: false, unaltered: false, signer: null, signedAt: null, problem });
  const text = pdf.toString('latin1');
  const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  if (!ranges.length) return none('no PDF signature / 未找到签名');
  const [a, b, c, d] = ranges.at(-1)!.slice(1, 5).map(Number);
  if (a !== 0 || c + d !== pdf.length || b > c) return none('the signature does not cover the whole file / 签名未覆盖全部文件', true);
  const hex = text.slice(b + 1, c - 1).replace(/(00)+$/, '');
  let p7: forge.pkcs7.PkcsSignedData & { rawCapture: { signature: string; authenticatedAttributes: forge.asn1.Asn1[] } };
  try {
    p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(forge.util.hexToBytes(hex), false)) as typeof p7;
  } catch {
    return none('the signature cannot be read / 签名无法解析', true);
  }
  const signerCert = p7.certificates[0];
  if (!signerCert) return none('the signature carries no certificate / 签名不含证书', true);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(signerCert)).getBytes(), 'binary');
  const signer = signerCert.subject.getField('CN')?.value ?? null;
  const signedByBureau = createHash('sha256').update(der).digest('hex') === createHash('sha256').update(seal.certificate.raw).digest('hex');
  const attributes = p7.rawCapture.authenticatedAttributes ?? [];
  const attribute = (oid: string) => {
    const found = attributes.find((attr) => forge.asn1.derToOid((attr.value as forge.asn1.Asn1[])[0].value as string) === oid);
    return found ? ((found.value as forge.asn1.Asn1[])[1].value as forge.asn1.Asn1[])[0] : null;
  };
  const digest = attribute(OID.messageDigest);
  const time = attribute(OID.signingTime);
  const content = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
  const digestMatches = digest !== null && Buffer.from(digest.value as string, 'binary').equals(createHash('sha256').update(content).digest());
  // The signature is over the signed attributes, DER-encoded as a SET.
  const signedAttributes = forge.asn1.toDer(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, attributes)).getBytes();
  const signatureValid = verifySignature('sha256', Buffer.from(signedAttributes, 'binary'), new X509Certificate(der).publicKey, Buffer.from(p7.rawCapture.signature, 'binary'));
  const unaltered = digestMatches && signatureValid;
  return {
    signed: true,
    signedByBureau,
    unaltered,
    signer,
    signedAt: time ? forge.asn1.utcTimeToDate(time.value as string).toISOString() : null,
    problem: !unaltered ? 'the file was changed after it was signed / 签名后文件被改动' : !signedByBureau ? 'signed, but not by this bureau / 非本局签发' : null,
  };
}
