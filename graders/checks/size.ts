import { formatBytes, formatChange, plural } from '../format/bytes.js';
import { whereFrom } from '../findings/index.js';
import type { LayerSummary } from '../inspect/image.js';
import { CHECK_INFO, fillIn } from './registry.js';
import { fail, pass, type Check } from './types.js';

export interface SizeOptions {
  /** Bytes, decimal (20 MB = 20_000_000), as `docker images` counts. */
  ceiling: number;
  /** A lab's own advice when the image is too large (a route the lab teaches). */
  hint?: string;
}

/**
 * "the base image node:20-trixie-slim brings 199 MB (3 layers); your Dockerfile's largest
 * layers: 66 MB, layer 5 of 8, added by `COPY …` (Dockerfile line 13); …": what the
 * student can change first, the base's share in one phrase.
 */
function whereTheBytesAre(layers: LayerSummary[]): string {
  const own = layers.filter((l) => l.instruction).sort((a, b) => b.bytes - a.bytes);
  const base = layers.filter((l) => !l.instruction);
  const baseBytes = base.reduce((s, l) => s + l.bytes, 0);
  const baseName = base.find((l) => l.baseImage)?.baseImage;
  const parts: string[] = [];
  if (base.length) parts.push(`the base image${baseName ? ` ${baseName}` : ''} brings ${formatBytes(baseBytes)} (${plural(base.length, 'layer')})`);
  const largest = own.filter((l) => l.bytes > 0).slice(0, 2);
  if (largest.length) {
    parts.push(
      `your Dockerfile's largest ${largest.length === 1 ? 'layer is' : 'layers are'} ${largest.map((l) => `${formatBytes(l.bytes)}: ${whereFrom(l.layer, layers)}`).join('; then ')}`,
    );
  } else if (own.length) {
    parts.push("your Dockerfile's own layers add almost nothing");
  }
  return parts.join('; ');
}

export const size = ({ ceiling, hint }: SizeOptions): Check => ({
  id: 'size',
  ...CHECK_INFO.size,
  title: fillIn(CHECK_INFO.size.title, "the lab's ceiling", formatBytes(ceiling)),
  hint: hint ?? CHECK_INFO.size.hint,
  needs: ['image'],
  evaluate({ image, reference }) {
    if (!image) return fail('there is no image');
    const starter = reference?.starterSize;
    // Builds of the same Dockerfile differ by a few bytes (build caches, timestamps): within 1% is "as large".
    const compared = !starter
      ? ''
      : Math.abs(starter - image.size) < starter / 100
        ? ' — as large as the starter'
        : ` — starter ${formatBytes(starter)}, ${formatChange(starter, image.size)}`;
    const headline = `${formatBytes(image.size)} (ceiling ${formatBytes(ceiling)})${compared}`;
    const layers = image.layers ?? [];
    const largest = [...layers].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
    const own = layers.filter((l) => l.instruction);
    const details = {
      size: image.size,
      ceiling,
      baseBytes: layers.filter((l) => !l.instruction).reduce((s, l) => s + l.bytes, 0),
      largestLayers: largest.map((l) => ({ layer: l.layer + 1, bytes: l.bytes, line: l.instruction?.line, createdBy: l.createdBy })),
      largestOwnLayers: [...own]
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 3)
        .map((l) => ({ layer: l.layer + 1, bytes: l.bytes, line: l.instruction?.line, createdBy: l.createdBy })),
    };
    if (image.size <= ceiling) return pass(headline, details);
    const why = image.layers ? (layers.length ? `; ${whereTheBytesAre(layers)}` : '') : ' (too large to scan its layers)';
    return fail(`${headline}${why}`, details);
  },
});
