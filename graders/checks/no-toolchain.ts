import picomatch from 'picomatch';
import { formatBytes, plural } from '../format/bytes.js';
import type { FileEntry } from '../inspect/layers.js';
import { whereFrom } from './where.js';
import { fail, pass, type Check } from './types.js';

/** Something that must not ship, recognised by path globs (no leading slash). */
export interface ForbiddenPaths {
  /** In a report: "the Go toolchain", "gcc", "Go sources". */
  what: string;
  globs: string[];
}

/** One kind of forbidden thing found in one layer. */
export interface Finding {
  what: string;
  layer: number;
  files: number;
  bytes: number;
  /** The largest matching file, as the example to name. */
  example: string;
  exampleBytes: number;
  /** Set when a later layer deleted these files: they still ship. */
  deletedIn?: number;
}

/** Group the files that match each rule by layer; a file counts for the first rule it matches. */
export function findForbidden(files: FileEntry[], rules: ForbiddenPaths[]): Finding[] {
  const matchers = rules.map((r) => ({ what: r.what, match: picomatch(r.globs, { dot: true }) }));
  const groups = new Map<string, Finding>();
  for (const file of files) {
    if (file.type === 'directory') continue;
    const rule = matchers.find((m) => m.match(file.path));
    if (!rule) continue;
    const key = `${rule.what}\u0000${file.layer}`;
    const g = groups.get(key) ?? { what: rule.what, layer: file.layer, files: 0, bytes: 0, example: file.path, exampleBytes: -1 };
    g.files++;
    g.bytes += file.size;
    if (file.size > g.exampleBytes) {
      g.example = file.path;
      g.exampleBytes = file.size;
    }
    if (file.deletedIn !== undefined) g.deletedIn = Math.max(g.deletedIn ?? 0, file.deletedIn);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes || a.layer - b.layer);
}

export const noToolchain = ({ forbidden }: { forbidden: ForbiddenPaths[] }): Check => ({
  id: 'no-toolchain',
  title: `no build toolchain in the final image (${forbidden.map((f) => f.what).join(', ')})`,
  hint: 'Compile in a build stage and copy only the result into the final stage. Deleting tools with `RUN rm` in a later layer does not help: they still ship in the layer that added them.',
  slide: 'slides/02-multi-stage.md#5',
  needs: ['layers'],
  evaluate({ image }) {
    if (!image?.files || !image.layers) return fail('the image was not scanned');
    const findings = findForbidden(image.files, forbidden);
    if (findings.length === 0) {
      return pass(`none of ${forbidden.map((f) => f.what).join(', ')} in ${plural(image.layers.length, 'layer')} (${plural(image.files.length, 'file')})`);
    }
    const describeFinding = (f: Finding) =>
      `${f.what}: /${f.example} (${formatBytes(Math.max(f.exampleBytes, 0))})` +
      `${f.files > 1 ? ` and ${plural(f.files - 1, 'more file')}, ${formatBytes(f.bytes)} in all` : ''}, ` +
      `${whereFrom(f.layer, image.layers!)}` +
      `${f.deletedIn !== undefined ? `; deleted in layer ${f.deletedIn + 1}, but still shipped` : ''}`;
    // The largest finding in full; for each other kind, its largest finding's place.
    const [first, ...rest] = findings;
    const others = rest.filter((f, i) => f.what !== first!.what && rest.findIndex((g) => g.what === f.what) === i);
    const also = others.map((f) => `${f.what} (/${f.example}, layer ${f.layer + 1}${image.layers![f.layer]?.instruction ? `, line ${image.layers![f.layer]!.instruction!.line}` : ''})`);
    return fail(`found ${describeFinding(first!)}${also.length ? `; also ${also.join('; ')}` : ''}`, {
      findings: findings.map((f) => ({ ...f, layer: f.layer + 1, where: whereFrom(f.layer, image.layers!), deletedIn: f.deletedIn === undefined ? undefined : f.deletedIn + 1 })),
    });
  },
});
