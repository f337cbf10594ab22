import { createHash } from 'node:crypto';
import { invalidInput, type FieldProblem } from './errors';

/**
 * Files people hand in (an application's materials, an inspector's evidence):
 * PDF, JPEG or PNG, recognised by their first bytes rather than by what the
 * client claims, 1 byte to 5 MiB, with a name of 1–255 characters.
 */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
const SIGNATURES: Record<string, number[]> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};

export interface FileInput {
  name: string;
  mediaType: string;
  contentBase64: string;
}

export interface CheckedFile {
  bytes: Buffer;
  sha256: string;
  size: number;
  mediaType: string;
  name: string;
}

export function sniffMediaType(bytes: Buffer): string | null {
  return Object.entries(SIGNATURES).find(([, signature]) => signature.every((b, i) => bytes[i] === b))?.[0] ?? null;
}

/** The problems of one file at `path` (e.g. `input.file`); none when it is acceptable. */
export function uploadProblems(file: FileInput, path: string): FieldProblem[] {
  const bytes = Buffer.from(file.contentBase64, 'base64');
  const problems: FieldProblem[] = [];
  if (bytes.length === 0 || bytes.length > MAX_UPLOAD_BYTES) {
    problems.push({ path: `${path}.contentBase64`, code: 'TOO_LARGE', messageZh: `文件须在 1 字节至 5 MiB 之间（实际 ${bytes.length} 字节）`, messageEn: `A file must be 1 byte to 5 MiB (this one is ${bytes.length} bytes)` });
  }
  if (!(file.mediaType in SIGNATURES)) {
    problems.push({ path: `${path}.mediaType`, code: 'INVALID_MEDIA_TYPE', messageZh: '只接受 PDF、JPEG、PNG 文件', messageEn: 'Only PDF, JPEG and PNG files are accepted' });
  } else if (sniffMediaType(bytes) !== file.mediaType) {
    problems.push({ path: `${path}.contentBase64`, code: 'CONTENT_MISMATCH', messageZh: `文件内容不是声明的 ${file.mediaType}`, messageEn: `The file's content is not the declared ${file.mediaType}` });
  }
  if (!file.name.trim() || file.name.length > 255) {
    problems.push({ path: `${path}.name`, code: 'INVALID_TYPE', messageZh: '文件名须为 1 至 255 个字符', messageEn: 'The file name must be 1 to 255 characters' });
  }
  return problems;
}

/** The file checked (refused with every problem at `path`), its bytes and content hash. */
export function checkUpload(file: FileInput, path: string): CheckedFile {
  const problems = uploadProblems(file, path);
  if (problems.length) throw invalidInput(problems);
  const bytes = Buffer.from(file.contentBase64, 'base64');
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, mediaType: sniffMediaType(bytes)!, name: file.name.trim() };
}
