import picomatch from 'picomatch';
import type { ImageFacts } from '../inspect/image.js';
import type { FileEntry } from '../inspect/layers.js';
import type { Finding, FindingKind } from './finding.js';

/**
 * Files that are something (a toolchain, a cache, a secret), recognised by path globs (no
 * leading slash) and, with `labFiles`, by the bytes of the lab's own files.
 */
export interface PathRule {
  kind: FindingKind;
  /** In a report: "the Go toolchain", "gcc", "Go sources". */
  what: string;
  globs: string[];
  /**
   * Fine wherever they come from, because of what they are by name or owner: an
   * `.env.example`, a dependency's own files inside node_modules.
   */
  except?: string[];
  /**
   * Fine only among a base image's own files (system documentation, a JDK's own folder):
   * never an exemption for what the Dockerfile's instructions add, so it cannot hide anything.
   */
  exceptInBase?: string[];
  /** The lab's own files that are this (globs in the build context), found by their bytes wherever copied. */
  labFiles?: string[];
}

/** Files whose bytes are known: sha256 → what the file is and where the original lives. */
export interface KnownContent {
  byHash: Map<string, { path: string; what: string; image?: string }>;
  /** The sizes of the known files: only files of these sizes are hashed. */
  sizes: Set<number>;
  /** `size:path` of each known file at its own place: found by path already, never hashed. */
  originals: Set<string>;
}

export const emptyKnown = (): KnownContent => ({ byHash: new Map(), sizes: new Set(), originals: new Set() });

export function mergeKnown(...parts: KnownContent[]): KnownContent {
  const all = emptyKnown();
  for (const p of parts) {
    for (const [k, v] of p.byHash) all.byHash.set(k, v);
    for (const s of p.sizes) all.sizes.add(s);
    for (const o of p.originals) all.originals.add(o);
  }
  return all;
}

/** Files smaller than this are never hashed: tiny files are the same everywhere by chance. */
export const MIN_HASHED_BYTES = 64;
/** A toolchain image's files smaller than this are not indexed (license stubs, tiny scripts). */
export const MIN_INDEXED_BYTES = 256;

/** The scan's question "hash this file?": its size is a known file's, at a place other than that file's own. */
export const hashIf = (known: KnownContent) => (path: string, size: number, inArchive: boolean) =>
  size >= MIN_HASHED_BYTES && known.sizes.has(size) && (inArchive || !known.originals.has(`${size}:${path}`));

export interface FindOptions {
  /** What a runtime base image (one that is not a toolchain) ships is not a finding: no-toolchain's rule. */
  skipRuntimeBase?: boolean;
  /** Files recognised by their bytes (toolchain images' files, the lab's own sources). */
  known?: KnownContent;
  /** Archives under these paths are another rule's business (npm's cache holds package tarballs): their members are not judged here. */
  archivesIgnoredIn?: string[];
  /** Told each file that joins a finding (explain's treemap marks those files). */
  onMatch?: (file: FileEntry, finding: Finding) => void;
}

const matcher = (globs: string[] | undefined) => (globs?.length ? picomatch(globs, { dot: true }) : () => false);

interface CompiledRule {
  rule: PathRule;
  match: (p: string) => boolean;
  except: (p: string) => boolean;
  exceptInBase: (p: string) => boolean;
}

const parentOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));

function commonFolder(a: string, b: string): string {
  if (b.startsWith(a) && (b.length === a.length || b[a.length] === '/')) return a;
  const x = a.split('/');
  const y = b.split('/');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return x.slice(0, i).join('/');
}

/**
 * The findings of path rules (and of known content) over every layer's files and the
 * archives' members, deleted files included: one finding per rule, layer and archive; a
 * file counts for the first rule it matches. One pass over the files, whatever the rules.
 */
export function findFiles(image: ImageFacts, rules: PathRule[], opts: FindOptions = {}): Finding[] {
  const compiled: CompiledRule[] = rules.map((rule) => ({ rule, match: matcher(rule.globs), except: matcher(rule.except), exceptInBase: matcher(rule.exceptInBase) }));
  const byWhat = new Map(rules.map((r) => [r.what, r]));
  const layers = image.layers ?? [];
  const groups = new Map<string, Finding>();
  const ignoredArchive = matcher(opts.archivesIgnoredIn);

  const consider = (file: FileEntry) => {
    if (file.type === 'directory') return;
    const origin = layers[file.layer];
    const fromBase = !origin?.instruction;
    if (opts.skipRuntimeBase && fromBase && origin?.baseImage !== undefined && !origin.baseIsToolchain) return;
    // Archives are looked into to find what the Dockerfile hides in them; a base image's are its own business.
    if (file.inArchive !== undefined && (fromBase || ignoredArchive(file.inArchive))) return;
    // An archive's member is excepted by its own path or its archive's (classes inside a .jar).
    const excepted = (c: CompiledRule) => c.except(file.path) || (file.inArchive !== undefined && c.except(file.inArchive));
    let rule = compiled.find((c) => c.match(file.path) && !excepted(c) && !(fromBase && c.exceptInBase(file.path)))?.rule;
    let sameAs: Finding['sameAs'];
    if (!rule && file.sha256 && opts.known) {
      const known = opts.known.byHash.get(file.sha256);
      if (known && byWhat.has(known.what)) {
        rule = byWhat.get(known.what);
        sameAs = known;
      }
    }
    if (!rule) return;
    const key = `${rule.what}\u0000${file.layer}\u0000${file.inArchive ?? ''}\u0000${sameAs ? 'same' : ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { kind: rule.kind, what: rule.what, layer: file.layer, line: origin?.instruction?.line ?? origin?.from?.line, files: 0, bytes: 0, example: file.path, exampleBytes: -1, folder: parentOf(file.path), fromBase, inArchive: file.inArchive, sameAs };
      groups.set(key, g);
    }
    if (countInto(g, file) && sameAs) g.sameAs = sameAs;
    if (file.deletedIn !== undefined) g.deletedIn = Math.max(g.deletedIn ?? 0, file.deletedIn);
    opts.onMatch?.(file, g);
  };
  for (const f of image.files ?? []) consider(f);
  for (const m of image.members ?? []) consider(m);
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes || (a.layer ?? 0) - (b.layer ?? 0));
}

/** Count a file into its finding: folder, files, bytes; true when it is the largest yet (the example). */
function countInto(g: Finding, file: { path: string; size: number }): boolean {
  g.folder = commonFolder(g.folder, parentOf(file.path));
  g.files++;
  g.bytes += file.size;
  if (file.size <= g.exampleBytes) return false;
  g.example = file.path;
  g.exampleBytes = file.size;
  return true;
}

/** Files a later layer deletes but that still ship, grouped by the layer that holds them and the one that deleted them. */
export function findDeletedButShipped(image: ImageFacts, minBytes = 1_000_000): Finding[] {
  const layers = image.layers ?? [];
  const groups = new Map<string, Finding>();
  for (const file of image.files ?? []) {
    if (file.deletedIn === undefined || file.type !== 'file') continue;
    const key = `${file.layer}:${file.deletedIn}`;
    const origin = layers[file.layer];
    let g = groups.get(key);
    if (!g) {
      g = { kind: 'deleted-but-shipped', what: 'files deleted by a later layer', layer: file.layer, line: origin?.instruction?.line ?? origin?.from?.line, files: 0, bytes: 0, example: file.path, exampleBytes: -1, folder: parentOf(file.path), fromBase: !origin?.instruction, deletedIn: file.deletedIn };
      groups.set(key, g);
    }
    countInto(g, file);
  }
  return [...groups.values()].filter((g) => g.bytes >= minBytes).sort((a, b) => b.bytes - a.bytes);
}
