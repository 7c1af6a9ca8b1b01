import { formatBytes, formatChange } from '../format/bytes.js';
import { whereFrom } from './where.js';
import { fail, pass, type Check } from './types.js';

export interface SizeOptions {
  /** Bytes, decimal (20 MB = 20_000_000), as `docker images` counts. */
  ceiling: number;
}

export const size = ({ ceiling }: SizeOptions): Check => ({
  id: 'size',
  title: `the final image is at most ${formatBytes(ceiling)}`,
  hint: 'Look at the largest layers listed: a big base image, build tools, caches or dev dependencies. Each layer is counted in full, even files a later layer deletes.',
  slide: 'slides/01-why-images-bloat.md#4',
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
    const largest = [...(image.layers ?? [])].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
    const details = {
      size: image.size,
      ceiling,
      largestLayers: largest.map((l) => ({ layer: l.layer + 1, bytes: l.bytes, line: l.instruction?.line, createdBy: l.createdBy })),
    };
    if (image.size <= ceiling) return pass(headline, details);
    const biggest = largest
      .slice(0, 2)
      .map((l, i) => `${i === 0 ? 'the largest layer is' : 'then'} ${formatBytes(l.bytes)}: ${whereFrom(l.layer, image.layers!)}`)
      .join('; ');
    const why = biggest ? `; ${biggest}` : image.layers ? '' : ' (too large to scan its layers)';
    return fail(`${headline}${why}`, details);
  },
});
