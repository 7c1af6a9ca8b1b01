import picomatch from 'picomatch';
import { formatBytes, plural } from '../format/bytes.js';
import type { LayerSummary } from '../inspect/image.js';
import type { FileEntry } from '../inspect/layers.js';
import { whereFrom } from './where.js';

/** Something that must not ship, recognised by path globs (no leading slash). */
export interface ForbiddenPaths {
  /** In a report: "the Go toolchain", "gcc", "Go sources". */
  what: string;
  globs: string[];
  /** Paths that match `globs` but are fine (a dependency's own TypeScript sources, say). */
  except?: string[];
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
  /** The deepest folder that holds every matching file. */
  folder: string;
  /** Set when a later layer deleted these files: they still ship. */
  deletedIn?: number;
}

/** Group the files that match each rule by layer; a file counts for the first rule it matches. */
export function findForbidden(files: FileEntry[], rules: ForbiddenPaths[]): Finding[] {
  const matchers = rules.map((r) => ({ what: r.what, match: picomatch(r.globs, { dot: true, ignore: r.except }) }));
  const groups = new Map<string, Finding>();
  for (const file of files) {
    if (file.type === 'directory') continue;
    const rule = matchers.find((m) => m.match(file.path));
    if (!rule) continue;
    const key = `${rule.what}\u0000${file.layer}`;
    const g = groups.get(key) ?? { what: rule.what, layer: file.layer, files: 0, bytes: 0, example: file.path, exampleBytes: -1, folder: parentOf(file.path) };
    g.folder = commonFolder(g.folder, parentOf(file.path));
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

const parentOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));

function commonFolder(a: string, b: string): string {
  const x = a.split('/');
  const y = b.split('/');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return x.slice(0, i).join('/');
}

/** Long paths keep their start and their file name: /root/.npm/_cacache/…/94/43/a9a0…39 */
export function shortPath(p: string, max = 72): string {
  if (p.length <= max) return p;
  const name = p.slice(p.lastIndexOf('/') + 1);
  const tail = name.length > max / 2 ? `${name.slice(0, max / 4)}…${name.slice(-max / 4)}` : name;
  return `${p.slice(0, max - tail.length - 2)}…/${tail}`;
}

/**
 * "gcc: /usr/bin/gcc-14 (1.2 MB), layer 3 of 7, added by `RUN apt-get install gcc`
 * (Dockerfile line 4)", or for many files "npm's cache: 660 files, 58 MB in all, in
 * /root/.npm/_cacache/ (the largest /root/…/94/43/a9a0…39, 10.5 MB), layer 8 of 9, …";
 * plus "deleted in layer 5, but still shipped" when a later layer removed them.
 */
export function describeFinding(f: Finding, layers: LayerSummary[]): string {
  const largest = `/${shortPath(f.example)} (${formatBytes(Math.max(f.exampleBytes, 0))})`;
  const what =
    f.files === 1
      ? `${f.what}: ${largest}`
      : f.folder.split('/').length >= 2
        ? `${f.what}: ${plural(f.files, 'file')}, ${formatBytes(f.bytes)} in all, in /${f.folder}/ (the largest ${largest})`
        : `${f.what}: ${largest} and ${plural(f.files - 1, 'more file')}, ${formatBytes(f.bytes)} in all`;
  return `${what}, ${whereFrom(f.layer, layers)}${f.deletedIn !== undefined ? `; deleted in layer ${f.deletedIn + 1}, but still shipped` : ''}`;
}

/** For the other kinds found, the largest finding's place: "Go sources (/src/main.go, layer 6, line 6)". */
export function alsoFound(findings: Finding[], layers: LayerSummary[]): string {
  const [first, ...rest] = findings;
  const others = rest.filter((f, i) => f.what !== first?.what && rest.findIndex((g) => g.what === f.what) === i);
  const places = others.map((f) => `${f.what} (/${f.example}, layer ${f.layer + 1}${layers[f.layer]?.instruction ? `, line ${layers[f.layer]!.instruction!.line}` : ''})`);
  return places.length ? `; also ${places.join('; ')}` : '';
}

/** The findings as JSON details: 1-based layers, and where each came from. */
export function findingDetails(findings: Finding[], layers: LayerSummary[]) {
  return findings.map((f) => ({
    ...f,
    layer: f.layer + 1,
    deletedIn: f.deletedIn === undefined ? undefined : f.deletedIn + 1,
    where: whereFrom(f.layer, layers),
  }));
}
