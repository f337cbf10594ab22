import { createHash } from 'node:crypto';

/**
 * 双随机: a weighted random draw without replacement that anyone can re-run
 * from what a plan records (its seed and the population with weights) and get
 * the same result, in any language, without this code:
 *
 *   u(id) = (first 13 hex digits of SHA-256("<seed>:<id>") as an integer + 1) / (16^13 + 1)
 *   key(id) = ln(u(id)) / weight(id)
 *   drawn = the `size` candidates with the largest keys, largest first
 *   (ties, which SHA-256 makes practically impossible, by id)
 *
 * This is Efraimidis and Spirakis's weighted sampling (2006): a candidate of
 * weight 2 is about twice as likely to be drawn as one of weight 1, and the
 * order in which candidates are listed does not matter.
 */
export interface Candidate {
  id: string;
  weight: number;
}

const DIGITS = 13;
const SCALE = 16 ** DIGITS + 1;

/** The uniform number in (0, 1) the seed gives a candidate. */
export function uniformFor(seed: string, id: string): number {
  const hex = createHash('sha256').update(`${seed}:${id}`, 'utf8').digest('hex').slice(0, DIGITS);
  return (parseInt(hex, 16) + 1) / SCALE;
}

export function drawKey(seed: string, candidate: Candidate): number {
  return Math.log(uniformFor(seed, candidate.id)) / candidate.weight;
}

/** The drawn candidates' ids, in draw order. */
export function weightedDraw(candidates: readonly Candidate[], size: number, seed: string): string[] {
  if (new Set(candidates.map((c) => c.id)).size !== candidates.length) throw new Error('each candidate once');
  if (candidates.some((c) => !(c.weight > 0) || !Number.isFinite(c.weight))) throw new Error('weights must be positive');
  return candidates
    .map((c) => ({ id: c.id, key: drawKey(seed, c) }))
    .sort((a, b) => b.key - a.key || (a.id < b.id ? -1 : 1))
    .slice(0, Math.max(0, size))
    .map((c) => c.id);
}
