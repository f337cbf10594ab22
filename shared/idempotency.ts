import { createHash } from 'node:crypto';
import { platformError } from './errors';
import type { Identity } from './identity';

/**
 * Retries that cannot duplicate. A mutation that creates something accepts a
 * client-chosen `idempotencyKey`; what it writes carries the key (scoped to
 * the caller) and a hash of the input. The same key with the same input finds
 * what the first call wrote and returns it; the same key with other input is
 * refused. A client that timed out while its write landed can simply retry.
 */
export interface RequestKey {
  key: string;
  inputHash: string;
}

/** The caller's key for this request, or undefined when none was given. */
export function requestKey(identity: Identity, idempotencyKey: string | null | undefined, input: unknown): RequestKey | undefined {
  if (idempotencyKey == null) return undefined;
  if (!idempotencyKey.trim() || idempotencyKey.length > 200) {
    throw platformError('BAD_USER_INPUT', '幂等键须为 1 至 200 个字符', 'The idempotency key is 1 to 200 characters', { field: 'idempotencyKey' });
  }
  return { key: sha256(`${identity.role}\n${identity.subject}\n${idempotencyKey}`), inputHash: contentHash(input) };
}

/** The same key came with other input: refused. */
export function keyReused(): Error {
  return platformError('IDEMPOTENCY_KEY_REUSED', '该幂等键已用于另一请求', 'This idempotency key was used for a different request', { field: 'idempotencyKey' });
}

/** What an earlier call with this key wrote, if any (refusing other input under the same key). */
export function priorOf<T extends { request?: RequestKey }>(written: T[], request: RequestKey | undefined): T | undefined {
  if (!request) return undefined;
  const prior = written.find((w) => w.request?.key === request.key);
  if (prior && prior.request!.inputHash !== request.inputHash) throw keyReused();
  return prior;
}

/** An id derived from the key: the thing a keyed call creates has the same id on every retry. */
export function keyedId(request: RequestKey): string {
  const h = request.key;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The SHA-256 of a value's JSON with keys in order: the same content hashes the same however its keys were ordered. */
export function contentHash(value: unknown): string {
  return sha256(stableJson(value));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
