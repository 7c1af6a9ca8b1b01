import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { docker } from '../engine/docker.js';
import { kitCacheDir } from '../kit/locations.js';
import { scanImageInThread } from '../inspect/scan-thread.js';
import { emptyKnown, MIN_HASHED_BYTES, MIN_INDEXED_BYTES, type KnownContent, type PathRule } from './rule.js';

/**
 * The content index of a toolchain image: every file a rule forbids, by its sha256, so
 * that a copy is found whatever its name (`/opt/x/fmt` is the Go toolchain's gofmt). It is
 * built by streaming the image once (the golang stand-in, 768 MB: about 10 s) and kept on
 * disk per layer digest and rule set, so every later grade only reads a small JSON file.
 */
interface IndexedFile {
  path: string;
  size: number;
  sha256: string;
  what: string;
  /** An ELF's build ID: the same program padded or stripped of a byte is still this one. */
  buildId?: string;
}

/** Test data and Go's zone database are data any program may carry: never "the toolchain". */
/**
 * Never a toolchain's by its bytes: test data, time zones, and texts that any image may
 * carry word for word (a license in Go's sources is Debian's /usr/share/common-licenses/…).
 */
const NEVER_INDEXED = [
  '**/testdata/**',
  '**/lib/time/**',
  '**/{LICENSE,LICENCE,COPYING,NOTICE,PATENTS,AUTHORS,CONTRIBUTORS,README}{,.txt,.md,.rst,-*}',
  '**/*.{md,txt,html,rst}',
];
export const neverIndexed = picomatch(NEVER_INDEXED, { dot: true, nocase: true });

/** Bumped when what is indexed changes, so caches made by older rules are not read. */
const INDEX_VERSION = 3;

function rulesKey(rules: PathRule[]): string {
  return createHash('sha256')
    .update(JSON.stringify([INDEX_VERSION, rules.map((r) => [r.what, r.globs])]))
    .digest('hex')
    .slice(0, 12);
}

const indexFile = (diffId: string, key: string) => path.join(kitCacheDir(), 'content-index', `${diffId.replace(/^sha256:/, '')}-${key}.json`);

async function readCached(file: string): Promise<IndexedFile[] | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as IndexedFile[];
  } catch {
    return undefined;
  }
}

/** Write whole or not at all: two grades building the same index at once both end well. */
async function writeCached(file: string, entries: IndexedFile[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  await writeFile(partial, JSON.stringify(entries));
  await rename(partial, file);
}

/** Stream the image once, hash every file the rules name, and cache the result per layer. */
async function buildIndex(imageId: string, diffIds: string[], rules: PathRule[], key: string): Promise<IndexedFile[][]> {
  const matchers = rules.filter((r) => r.globs.length).map((r) => ({ what: r.what, match: picomatch(r.globs, { dot: true }) }));
  const whatOf = (p: string) => (neverIndexed(p) ? undefined : matchers.find((m) => m.match(p))?.what);
  const saved = await scanImageInThread({
    image: imageId,
    options: { hash: { minBytes: MIN_INDEXED_BYTES, globs: rules.flatMap((r) => r.globs), never: NEVER_INDEXED, members: false } },
  });
  const perLayer = saved.layers.map((l) =>
    l.files
      .filter((f) => f.sha256 && whatOf(f.path))
      .map((f): IndexedFile => ({ path: f.path, size: f.size, sha256: f.sha256!, what: whatOf(f.path)!, ...(f.buildId ? { buildId: f.buildId } : {}) })),
  );
  await Promise.all(perLayer.map((entries, i) => (diffIds[i] ? writeCached(indexFile(diffIds[i]!, key), entries) : undefined)));
  return perLayer;
}

const inFlight = new Map<string, Promise<KnownContent>>();

/**
 * The known content of these toolchain images under these rules, from the cache or built
 * once (lazily, by the first grade that needs it). Images that are not here add nothing.
 */
export function toolchainIndex(images: string[], rules: PathRule[], log: (line: string) => void = () => {}): Promise<KnownContent> {
  const key = rulesKey(rules);
  const memo = `${images.join(',')}|${key}`;
  let pending = inFlight.get(memo);
  if (!pending) {
    pending = (async () => {
      const known = emptyKnown();
      for (const ref of images) {
        const info = await docker()
          .getImage(ref)
          .inspect()
          .catch(() => undefined);
        if (!info) continue;
        const diffIds = info.RootFS?.Layers ?? [];
        let layers = await Promise.all(diffIds.map((d) => readCached(indexFile(d, key))));
        if (layers.some((l) => l === undefined)) {
          const started = Date.now();
          log(`indexing the files of ${ref} that no-toolchain looks for (once; cached in ${kitCacheDir()})`);
          // By its id: a name without a tag would save every tag of the repository (layers misaligned).
          layers = await buildIndex(info.Id, diffIds, rules, key);
          log(`indexed ${ref} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
        for (const entry of layers.flat()) {
          if (!entry) continue;
          known.byHash.set(entry.sha256, { path: entry.path, what: entry.what, image: ref });
          known.sizes.add(entry.size);
          known.originals.add(`${entry.size}:${entry.path}`);
          if (entry.buildId) known.byBuildId.set(entry.buildId, { path: entry.path, what: entry.what, image: ref });
        }
      }
      return known;
    })();
    pending.catch(() => inFlight.delete(memo));
    inFlight.set(memo, pending);
  }
  return pending;
}

/** `what` of the lab folder's own files, indexed for the stamp rule: no rule reports them as such. */
export const LAB_FOLDER = 'a file of the lab folder';

/** Every file of the lab folder as this build has it but one (the stamp), by its bytes. */
export async function labFolderIndex(contextDir: string, files: string[], except: string): Promise<KnownContent> {
  const known = emptyKnown();
  for (const relative of files.filter((f) => f !== except && !f.startsWith('.git/'))) {
    const bytes = await readFile(path.join(contextDir, relative)).catch(() => undefined);
    if (!bytes || bytes.length < MIN_HASHED_BYTES) continue;
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (!known.byHash.has(hash)) known.byHash.set(hash, { path: relative, what: LAB_FOLDER, image: 'the lab folder' });
    known.sizes.add(bytes.length);
  }
  return known;
}

/**
 * The lab's own files that rules name with `labFiles` (its sources, its front-end template),
 * by their bytes as prepared for this build, so a copy is found wherever it is put.
 */
export async function labFilesIndex(contextDir: string, files: string[], rules: PathRule[]): Promise<KnownContent> {
  const known = emptyKnown();
  for (const rule of rules) {
    if (!rule.labFiles?.length) continue;
    const match = picomatch(rule.labFiles, { dot: true });
    for (const relative of files.filter((f) => match(f))) {
      const bytes = await readFile(path.join(contextDir, relative)).catch(() => undefined);
      if (!bytes || bytes.length < MIN_HASHED_BYTES) continue;
      known.byHash.set(createHash('sha256').update(bytes).digest('hex'), { path: relative, what: rule.what, image: 'the lab folder' });
      known.sizes.add(bytes.length);
    }
  }
  return known;
}
