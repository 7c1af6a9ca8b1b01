import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

export type EntryType = 'file' | 'link' | 'symlink' | 'directory' | 'other';

/** One entry of one layer. `path` has no leading slash, as in the tar. */
export interface FileEntry {
  path: string;
  size: number;
  type: EntryType;
  layer: number;
  /** Set when a later layer deletes this path: it is hidden, but its bytes still ship. */
  deletedIn?: number;
}

/** `.wh.name` deletes `name` (and everything below it); `.wh..wh..opq` empties its directory. */
export interface Whiteout {
  path: string;
  opaque: boolean;
}

export interface LayerContent {
  files: FileEntry[];
  whiteouts: Whiteout[];
  /** Sum of the sizes of the layer's regular files. */
  bytes: number;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

function normalise(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
}

function entryType(type: string | null | undefined): EntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'link':
      return 'link';
    case 'symlink':
      return 'symlink';
    case 'directory':
      return 'directory';
    default:
      return 'other';
  }
}

/** Read a whole (small) stream into memory. */
async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A layer may be plain tar or gzip-compressed tar; look at its first bytes to tell. */
async function decompressIfNeeded(stream: AsyncIterable<unknown>): Promise<Readable> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return Readable.from([]);
  const head = first.value as Buffer;
  async function* rest() {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  const whole = Readable.from(rest(), { objectMode: false });
  return head[0] === 0x1f && head[1] === 0x8b ? whole.pipe(createGunzip()) : whole;
}

/**
 * List one layer's entries from its tar stream, without writing anything to disk:
 * file contents are read past, never kept.
 */
export async function scanLayer(stream: AsyncIterable<unknown>, layer: number): Promise<LayerContent> {
  const content: LayerContent = { files: [], whiteouts: [], bytes: 0 };
  const extract = tar.extract();
  (await decompressIfNeeded(stream)).pipe(extract);
  for await (const entry of extract) {
    const path = normalise(entry.header.name);
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (base === OPAQUE_MARKER) {
      content.whiteouts.push({ path: path.slice(0, Math.max(0, path.lastIndexOf('/'))), opaque: true });
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      const dir = path.slice(0, path.length - base.length);
      content.whiteouts.push({ path: dir + base.slice(WHITEOUT_PREFIX.length), opaque: false });
    } else if (path) {
      const type = entryType(entry.header.type);
      const size = type === 'file' ? (entry.header.size ?? 0) : 0;
      content.files.push({ path, size, type, layer });
      content.bytes += size;
    }
    entry.resume();
  }
  return content;
}

/**
 * Mark every file that a later layer's whiteout hides. The file still ships in its own
 * layer; this only records where it was deleted, so reports can say so.
 */
export function markDeleted(layers: LayerContent[]): void {
  for (let k = 1; k < layers.length; k++) {
    for (const w of layers[k]!.whiteouts) {
      for (let j = 0; j < k; j++) {
        for (const f of filesUnder(layers[j]!.files, w.path, !w.opaque)) f.deletedIn ??= k;
      }
    }
  }
}

/** Files at `dir` (when `includeSelf`) or below it, found by binary search in path order. */
function filesUnder(files: FileEntry[], dir: string, includeSelf: boolean): FileEntry[] {
  const sorted = sortedByPath(files);
  const prefix = dir === '' ? '' : `${dir}/`;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.path < dir) lo = mid + 1;
    else hi = mid;
  }
  const found: FileEntry[] = [];
  for (let i = lo; i < sorted.length; i++) {
    const p = sorted[i]!.path;
    if (includeSelf && p === dir) found.push(sorted[i]!);
    else if (p.startsWith(prefix)) found.push(sorted[i]!);
    else if (p > prefix) break;
  }
  return found;
}

const sortCache = new WeakMap<FileEntry[], FileEntry[]>();
function sortedByPath(files: FileEntry[]): FileEntry[] {
  let sorted = sortCache.get(files);
  if (!sorted) {
    sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    sortCache.set(files, sorted);
  }
  return sorted;
}

/** The image config's fields the grader reads (OCI / Docker image config JSON). */
export interface ImageConfigJson {
  config?: { User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null; ExposedPorts?: Record<string, object>; Labels?: Record<string, string> | null };
  history?: { created_by?: string; empty_layer?: boolean; comment?: string }[];
  rootfs?: { diff_ids?: string[] };
}

export interface SavedImage {
  config: ImageConfigJson;
  /** In order, bottom layer first, as the manifest lists them. */
  layers: LayerContent[];
}

/** Blobs this small might be JSON (manifest, config); anything larger is a layer. */
const SMALL_BLOB = 1_000_000;

/**
 * Scan the tar that `docker save` streams (the classic layout with `<id>/layer.tar`, or
 * the OCI layout with `blobs/sha256/…`): every layer's entries and the image config.
 */
export async function scanSavedImage(stream: Readable): Promise<SavedImage> {
  const json = new Map<string, unknown>();
  const tars = new Map<string, LayerContent>();
  // The classic layout stores a layer that appears twice (two empty layers, say) once, and
  // the second `<id>/layer.tar` as a symlink to the first.
  const links = new Map<string, string>();
  const extract = tar.extract();
  stream.pipe(extract);
  for await (const entry of extract) {
    const name = normalise(entry.header.name);
    const size = entry.header.size ?? 0;
    if (entry.header.type === 'symlink' && name.endsWith('/layer.tar') && entry.header.linkname) {
      links.set(name, normalise(path.posix.join(path.posix.dirname(name), entry.header.linkname)));
      entry.resume();
    } else if (entry.header.type !== 'file') {
      entry.resume();
    } else if (name.endsWith('.json') || (name.startsWith('blobs/') && size < SMALL_BLOB)) {
      const bytes = await collect(entry);
      try {
        json.set(name, JSON.parse(bytes.toString('utf8')));
      } catch {
        tars.set(name, await scanLayer(Readable.from([bytes]), -1));
      }
    } else if (name.endsWith('/layer.tar') || name.startsWith('blobs/')) {
      tars.set(name, await scanLayer(entry, -1));
    } else {
      entry.resume();
    }
  }

  const manifest = (json.get('manifest.json') as { Config: string; Layers: string[] }[] | undefined)?.[0];
  if (!manifest) throw new Error('the saved image has no manifest.json');
  const config = (json.get(normalise(manifest.Config)) ?? {}) as ImageConfigJson;
  const layers = manifest.Layers.map((name, index) => {
    const content = tars.get(normalise(name)) ?? tars.get(links.get(normalise(name)) ?? '');
    if (!content) throw new Error(`the saved image lacks its layer ${name}`);
    // The same layer may appear twice in one image; each position gets its own copy.
    return { ...content, files: content.files.map((f) => ({ ...f, layer: index })) };
  });
  markDeleted(layers);
  return { config, layers };
}
