import { CannotGrade } from '../engine/errors.js';

export interface Shard {
  index: number; // 1-based
  count: number;
}

/** `2/3` → the second of three shards. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new CannotGrade(`--shard takes K/N with 1 ≤ K ≤ N, such as 2/3; got "${text}"`);
  return { index, count };
}

/**
 * The students in this shard: every N-th of the sorted names, starting at the K-th. The
 * same folder gives every machine the same split, and shards differ in size by one at most.
 */
export function studentsInShard<T extends { name: string }>(students: T[], shard?: Shard): T[] {
  if (!shard) return students;
  const sorted = [...students].sort((a, b) => a.name.localeCompare(b.name, 'en'));
  return sorted.filter((_, i) => i % shard.count === shard.index - 1);
}
