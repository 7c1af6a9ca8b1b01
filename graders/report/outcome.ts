import { plural } from '../format/bytes.js';
import type { GradeResult } from '../pipeline/result.js';

/**
 * What is left to do, in words: the checks to fix, and apart from them the checks skipped
 * and why (a failed build skips everything after it: one thing is wrong, not four).
 */
export function outcome(result: GradeResult): { toFix: number; text: string } {
  const toFix = result.checks.filter((c) => !c.passed && !c.skipped);
  const skipped = result.checks.filter((c) => c.skipped);
  if (toFix.length === 0 && skipped.length === 0) return { toFix: 0, text: 'all checks passed' };
  // "skipped: there is no image: the build failed" → "the build failed": the cause, once per cause.
  const why = new Map<string, string[]>();
  for (const c of skipped) {
    const reason = c.message.replace(/^skipped: /, '');
    const cause = reason.slice(reason.lastIndexOf(': ') + 1).trim() || reason;
    why.set(cause, [...(why.get(cause) ?? []), c.id]);
  }
  const parts = [];
  if (toFix.length) parts.push(`${plural(toFix.length, 'check')} to fix (${toFix.map((c) => c.id).join(', ')})`);
  for (const [cause, ids] of why) parts.push(`${ids.length} skipped because ${cause} (${ids.join(', ')})`);
  return { toFix: toFix.length, text: parts.join('; ') };
}
