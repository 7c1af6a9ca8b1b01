import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { markRuntimeFiles } from './dpkg.js';
import { collect, normalise, scanLayer, Usage, type FileEntry, type LayerContent, type ScanOptions } from './layers.js';

// The image as `docker save` streams it: its layers in order (each scanned by scanLayer), its
// config, and which files a later layer deletes.

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
  config?: {
    User?: string;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string> | null;
  };
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

/** The same layer content at a second position of the image gets its own entries. */
function atPosition(content: LayerContent, index: number, alreadyPlaced: boolean): LayerContent {
  if (!alreadyPlaced) {
    for (const f of content.files) f.layer = index;
    for (const f of content.members) f.layer = index;
    return content;
  }
  return {
    ...content,
    files: content.files.map((f) => ({ ...f, layer: index, deletedIn: undefined, runtimePackage: undefined })),
    members: content.members.map((f) => ({ ...f, layer: index })),
  };
}

/**
 * Scan the tar that `docker save` streams (the classic layout with `<id>/layer.tar`, or
 * the OCI layout with `blobs/sha256/…`): every layer's entries and the image config.
 * Throws ScanBudgetExceeded (and stops reading) when the image holds more than the budget.
 */
export async function scanSavedImage(stream: Readable, opts: ScanOptions = {}): Promise<SavedImage> {
  const usage = new Usage(opts);
  const json = new Map<string, unknown>();
  const tars = new Map<string, LayerContent>();
  // The classic layout stores a layer that appears twice (two empty layers, say) once, and
  // the second `<id>/layer.tar` as a symlink to the first.
  const links = new Map<string, string>();
  const extract = tar.extract();
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  try {
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
          tars.set(name, await scanLayer(Readable.from([bytes]), -1, usage));
        }
      } else if (name.endsWith('/layer.tar') || name.startsWith('blobs/')) {
        tars.set(name, await scanLayer(entry, -1, usage));
      } else {
        entry.resume();
      }
    }
  } catch (err) {
    stream.destroy();
    throw err;
  }

  const manifest = (json.get('manifest.json') as { Config: string; Layers: string[] }[] | undefined)?.[0];
  if (!manifest) throw new Error('the saved image has no manifest.json');
  const config = (json.get(normalise(manifest.Config)) ?? {}) as ImageConfigJson;
  const placed = new Set<LayerContent>();
  const layers = manifest.Layers.map((name, index) => {
    const content = tars.get(normalise(name)) ?? tars.get(links.get(normalise(name)) ?? '');
    if (!content) throw new Error(`the saved image lacks its layer ${name}`);
    const layer = atPosition(content, index, placed.has(content));
    placed.add(content);
    return layer;
  });
  markDeleted(layers);
  markRuntimeFiles(layers);
  return { config, layers };
}
