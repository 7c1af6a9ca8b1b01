// What the decks know about sizes: the figures `npm run measure` wrote, the figures they
// quote but did not measure, and one way to print both.
import measured from '../data/measurements.json';
import published from '../data/published.json';

export { formatBytes } from '../../graders/format/bytes';

export interface MeasuredImage {
  size: number;
  layers: { createdBy: string; bytes: number; share: number; line?: number }[];
}

export const data = measured as unknown as {
  measuredAt: string;
  standInBases: string[];
  baseImages: { ref: string; size: number; standIn: boolean; shell: boolean; libc: string; packageManager: string }[];
  labs: Record<string, { starter?: MeasuredImage; solution?: MeasuredImage }>;
};

export const claims = published.claims;
export const upstreamSizes = published.upstreamSizes;

/** Where the figures come from, so a slide never shows a number without its source. */
export function measuredWith(m: { measuredAt: string; standInBases: string[] } = data): string {
  const when = `Measured with npm run measure on ${m.measuredAt.slice(0, 10)}`;
  return m.standInBases.length ? `${when}, against stand-in images built from Debian packages.` : `${when}.`;
}

/** 863836258 → 5693624: "152×" (how many times smaller). */
export function times(before: number, after: number): string {
  const r = before / after;
  return `${r >= 10 ? Math.round(r) : r.toFixed(1)}×`;
}
