import picomatch from 'picomatch';
import type { ImageFacts } from '../inspect/image.js';
import { hashPredicate, type FileEntry, type HashSpec } from '../inspect/layers.js';
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
  /**
   * Programs that are this by what they are, whatever their name or size: a Go program whose
   * build information names one of these main modules (`cmd/*`: the go command, its compiler
   * and linker), an ELF Debian built in one of these packages (its package note), an ELF that
   * carries one of these banners (content.ts's BANNERS: `gcc`), a file of one of these formats.
   */
  goModules?: string[];
  debPackages?: string[];
  banners?: string[];
  formats?: 'jmod'[];
  /**
   * A file a runtime package of the image's own package manager installed (Debian's nodejs
   * ships TypeScript declarations) is that runtime, never this: the app's sources.
   */
  notInRuntimePackages?: boolean;
  /**
   * Files whose bytes cannot be looked into (compressed in a format the grader does not
   * read, encrypted, base64, an archive cut short), once the Dockerfile's layers hold at
   * least `minBytes` of them: a toolchain packed out of sight, whatever its name.
   */
  opaque?: { minBytes: number };
}

/** Files whose bytes are known: sha256 → what the file is and where the original lives. */
export interface KnownContent {
  byHash: Map<string, { path: string; what: string; image?: string }>;
  /** The sizes of the known files: only files of these sizes are hashed. */
  sizes: Set<number>;
  /** `size:path` of each known file at its own place: found by path already, never hashed. */
  originals: Set<string>;
  /** ELF build IDs of the known programs: a copy is the same program whatever its name, size or padding. */
  byBuildId: Map<string, { path: string; what: string; image?: string }>;
}

export const emptyKnown = (): KnownContent => ({ byHash: new Map(), sizes: new Set(), originals: new Set(), byBuildId: new Map() });

export function mergeKnown(...parts: KnownContent[]): KnownContent {
  const all = emptyKnown();
  for (const p of parts) {
    for (const [k, v] of p.byHash) all.byHash.set(k, v);
    for (const s of p.sizes) all.sizes.add(s);
    for (const o of p.originals) all.originals.add(o);
    for (const [k, v] of p.byBuildId) all.byBuildId.set(k, v);
  }
  return all;
}

/** Files smaller than this are never hashed: tiny files are the same everywhere by chance. */
export const MIN_HASHED_BYTES = 64;
/** A toolchain image's files smaller than this are not indexed (license stubs, tiny scripts). */
export const MIN_INDEXED_BYTES = 256;

/** The scan's question "hash this file?", as data for the scan's thread: its size is a known file's, at a place other than that file's own. */
export const hashSpec = (known: KnownContent): HashSpec => ({ minBytes: MIN_HASHED_BYTES, sizes: [...known.sizes], skip: [...known.originals], members: true });

/** The same question as a function, for a scan in this thread. */
export const hashIf = (known: KnownContent) => hashPredicate(hashSpec(known));

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
  goModule: (m: string) => boolean;
  debPackage: (p: string) => boolean;
}

/** Does the rule recognise this file by what its bytes say it is? */
function isByContent(c: CompiledRule, file: FileEntry): boolean {
  return Boolean(
    (file.goModule && c.goModule(file.goModule)) ||
    (file.debPackage && c.debPackage(file.debPackage)) ||
    (file.banner && c.rule.banners?.includes(file.banner)) ||
    (file.format && c.rule.formats?.includes(file.format)),
  );
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
  const compiled: CompiledRule[] = rules.map((rule) => ({
    rule,
    match: matcher(rule.globs),
    except: matcher(rule.except),
    exceptInBase: matcher(rule.exceptInBase),
    goModule: matcher(rule.goModules),
    debPackage: matcher(rule.debPackages),
  }));
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
    const applies = (c: CompiledRule) => !excepted(c) && !(fromBase && c.exceptInBase(file.path)) && !(file.runtimePackage && c.rule.notInRuntimePackages);
    let rule = compiled.find((c) => c.match(file.path) && applies(c))?.rule;
    let sameAs: Finding['sameAs'];
    // Then by its bytes: a copy of a known file, the same program (its build ID), or what it says it is.
    const known =
      !rule && opts.known
        ? (file.sha256 && opts.known.byHash.get(file.sha256)) || (file.buildId && opts.known.byBuildId.get(file.buildId)) || undefined
        : undefined;
    if (known && byWhat.has(known.what)) {
      rule = byWhat.get(known.what);
      sameAs = known;
    }
    let byContent = false;
    if (!rule) {
      rule = compiled.find((c) => isByContent(c, file) && applies(c))?.rule;
      byContent = rule !== undefined;
    }
    // What the Dockerfile added and nothing can see into; a base image's own is its business.
    if (!rule && file.opaque && !fromBase && file.type === 'file') rule = compiled.find((c) => c.rule.opaque && applies(c))?.rule;
    if (!rule) return;
    const key = `${rule.what}\u0000${file.layer}\u0000${file.inArchive ?? ''}\u0000${sameAs ? 'same' : ''}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        kind: rule.kind,
        what: rule.what,
        layer: file.layer,
        line: origin?.instruction?.line ?? origin?.from?.line,
        files: 0,
        bytes: 0,
        example: file.path,
        exampleBytes: -1,
        folder: parentOf(file.path),
        fromBase,
        inArchive: file.inArchive,
        sameAs,
        ...(byContent ? { byContent } : {}),
      };
      groups.set(key, g);
    }
    if (countInto(g, file) && sameAs) g.sameAs = sameAs;
    // Said of a group only when none of its files was named by its path: their names do not tell.
    if (!byContent) delete g.byContent;
    if (file.deletedIn !== undefined) g.deletedIn = Math.max(g.deletedIn ?? 0, file.deletedIn);
    opts.onMatch?.(file, g);
  };
  for (const f of image.files ?? []) consider(f);
  for (const m of image.members ?? []) consider(m);
  // Opaque data is a finding only in bulk: a few compressed files are everywhere.
  const opaqueBytes = new Map<string, number>();
  for (const g of groups.values()) if (byWhat.get(g.what)?.opaque) opaqueBytes.set(g.what, (opaqueBytes.get(g.what) ?? 0) + g.bytes);
  return [...groups.values()]
    .filter((g) => {
      const o = byWhat.get(g.what)?.opaque;
      return !o || opaqueBytes.get(g.what)! >= o.minBytes;
    })
    .sort((a, b) => b.bytes - a.bytes || (a.layer ?? 0) - (b.layer ?? 0));
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
      g = {
        kind: 'deleted-but-shipped',
        what: 'files deleted by a later layer',
        layer: file.layer,
        line: origin?.instruction?.line ?? origin?.from?.line,
        files: 0,
        bytes: 0,
        example: file.path,
        exampleBytes: -1,
        folder: parentOf(file.path),
        fromBase: !origin?.instruction,
        deletedIn: file.deletedIn,
      };
      groups.set(key, g);
    }
    countInto(g, file);
  }
  return [...groups.values()].filter((g) => g.bytes >= minBytes).sort((a, b) => b.bytes - a.bytes);
}
