/**
 * Two grades tell a student the same story when every verdict, score, word and hint is the same
 * and every figure is within a small share of the other's: builds that are not reproducible
 * across engines (an `apt-get install` layer, a Go build cache) differ by a few bytes to a
 * megabyte, never in what a student should do. Small whole numbers (lines, layers, counts
 * under 50) fall inside no tolerance and must be equal.
 */
export const FIGURE_TOLERANCE = 0.02;

const NUMBER = /-?\d+(?:[.,]\d+)*/g;

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= FIGURE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

const asNumber = (s: string) => Number(s.replace(/,/g, ''));

/** Where two values differ beyond the tolerance, as "path: a ≠ b" lines; empty when they tell the same story. */
export function storyDifferences(a: unknown, b: unknown, at = '$'): string[] {
  if (typeof a === 'number' && typeof b === 'number') return close(a, b) ? [] : [`${at}: ${a} ≠ ${b}`];
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return [];
    const [wordsA, wordsB] = [a.split(NUMBER), b.split(NUMBER)];
    const [figuresA, figuresB] = [a.match(NUMBER) ?? [], b.match(NUMBER) ?? []];
    const same = wordsA.join('#') === wordsB.join('#') && figuresA.every((f, i) => close(asNumber(f), asNumber(figuresB[i]!)));
    return same ? [] : [`${at}: "${a}" ≠ "${b}"`];
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${at}: ${a.length} items ≠ ${b.length} items`];
    return a.flatMap((x, i) => storyDifferences(x, b[i], `${at}[${i}]`));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => storyDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return a === b ? [] : [`${at}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`];
}
