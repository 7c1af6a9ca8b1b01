import { docker } from '../engine/docker.js';
import { STAND_IN_LABEL } from '../images/catalogue.js';
import { externalImages, type ParsedDockerfile } from '../lint/dockerfile.js';
import { attributeLayers, type LayerOrigin } from './attribution.js';
import { ScanBudgetExceeded, type FileEntry, type LayerContent } from './layers.js';
import type { ScanThreadOptions } from './scan-protocol.js';
import { ScanThread } from './scan-thread.js';

/** A history entry as the engine reports it: what made it, and whether it made a layer. */
export interface HistoryEntry {
  createdBy: string;
  emptyLayer: boolean;
  /** Bytes of the layer it made, as the engine counts them (`docker history`); 0 when none. */
  size?: number;
}

/** What the inspect stage learns about the built image: the input of every rule and check. */
export interface ImageFacts {
  id: string;
  /** Uncompressed size, as `docker images` shows it. */
  size: number;
  user: string;
  entrypoint: string[];
  cmd: string[];
  /** `NAME=value` as the image config records them (ENV, and what the base set). */
  env: string[];
  labels: Record<string, string>;
  /** Oldest first; `RUN` entries record the build arguments they saw (`|1 TOKEN=… /bin/sh -c …`). */
  history: HistoryEntry[];
  /** Base images of this build that are local stand-ins, not the upstream images. */
  standInBases: string[];
  /** Per layer, bottom first; absent when the image was too large to scan. */
  layers?: LayerSummary[];
  /** Every entry of every layer; absent when not scanned. */
  files?: FileEntry[];
  /** Entries of the archives found in the layers, one level deep (when the scan looked). */
  members?: FileEntry[];
  /** Why the layers were not scanned to the end (a budget), when they were not. */
  scanProblem?: string;
  scanMs?: number;
}

export interface LayerSummary extends LayerOrigin {
  bytes: number;
  fileCount: number;
  whiteouts: number;
}

/** How far the inspect stage reads: a size above which no layer is read, and the scan's options. */
export interface InspectOptions extends ScanThreadOptions {
  /** Images larger than this are not scanned: their size alone fails them. */
  scanLimitBytes: number;
}

/** Base images named in FROM that are local stand-ins (labelled by `npm run images`). */
export async function standInBases(df: ParsedDockerfile): Promise<string[]> {
  const found: string[] = [];
  for (const ref of externalImages(df)) {
    const labels = await docker()
      .getImage(ref)
      .inspect()
      .then((i) => i.Config?.Labels ?? {})
      .catch(() => ({}) as Record<string, string>);
    if (labels[STAND_IN_LABEL]) found.push(ref);
  }
  return found.sort();
}

export function summariseLayers(layers: LayerContent[], origins: LayerOrigin[]): LayerSummary[] {
  return layers.map((l, i) => ({
    ...(origins[i] ?? { layer: i, createdBy: '' }),
    layer: i,
    bytes: l.bytes,
    fileCount: l.files.length,
    whiteouts: l.whiteouts.length,
  }));
}

/** The engine's history of an image, oldest first. */
async function historyOf(imageId: string): Promise<HistoryEntry[]> {
  const entries = (await docker().getImage(imageId).history()) as { CreatedBy?: string; Size?: number; Tags?: string[] | null }[];
  // The engine lists newest first; an entry of size 0 made no layer (or an empty one).
  return entries.reverse().map((e) => ({ createdBy: e.CreatedBy ?? '', emptyLayer: !e.Size, size: e.Size ?? 0 }));
}

/**
 * Inspect a built image: config and size from the engine; every layer's files by
 * streaming `docker save` through a tar parser in a worker thread (nothing is unpacked to
 * disk, and the grader's event loop is never held by the scan). Images
 * larger than `scanLimitBytes` are not scanned: their size alone fails them. A scan over
 * its budget ends with `scanProblem` set, never with the grader out of memory.
 */
export async function inspectImage(
  imageId: string,
  df: ParsedDockerfile | undefined,
  options: number | InspectOptions,
  given?: ScanThread,
): Promise<ImageFacts> {
  const opts: InspectOptions = typeof options === 'number' ? { scanLimitBytes: options } : options;
  // The scan's thread starts while the engine is asked what decides the scan (the size), and
  // ends with this call; a thread given (started earlier) is the caller's to end.
  const thread = given ?? (opts.scanLimitBytes > 0 ? new ScanThread() : undefined);
  try {
    return await inspectWith(thread, imageId, df, opts);
  } finally {
    if (!given) thread?.close();
  }
}

async function inspectWith(thread: ScanThread | undefined, imageId: string, df: ParsedDockerfile | undefined, opts: InspectOptions): Promise<ImageFacts> {
  // Asked together: the scan that follows waits for the size they give.
  const [info, history, standIns] = await Promise.all([docker().getImage(imageId).inspect(), historyOf(imageId), df ? standInBases(df) : []]);
  const facts: ImageFacts = {
    id: info.Id,
    size: info.Size,
    user: info.Config?.User ?? '',
    entrypoint: ([] as string[]).concat(info.Config?.Entrypoint ?? []),
    cmd: ([] as string[]).concat(info.Config?.Cmd ?? []),
    env: info.Config?.Env ?? [],
    labels: info.Config?.Labels ?? {},
    history,
    standInBases: standIns,
  };
  // The containerd image store's own size is the compressed content's (a gigabyte of zeros is a
  // megabyte); its history gives each layer unpacked, as it sits on disk: that decides the scan.
  if (info.Descriptor) facts.size = facts.history.reduce((n, h) => n + (h.size ?? 0), 0);
  if (!thread || facts.size > opts.scanLimitBytes) return facts;

  const started = Date.now();
  try {
    const { scanLimitBytes: _, ...options } = opts;
    const saved = await thread.scan({ image: imageId, options });
    const origins = attributeLayers(saved.config, saved.layers.length, df);
    facts.layers = summariseLayers(saved.layers, origins);
    // Scanned, every store ships the same files: the bytes of its regular files are the size
    // (identical layers measured equal to 20.10's classic store).
    if (info.Descriptor) facts.size = saved.layers.reduce((n, l) => n + l.bytes, 0);
    facts.files = saved.layers.flatMap((l) => l.files);
    facts.members = saved.layers.flatMap((l) => l.members);
  } catch (err) {
    if (!(err instanceof ScanBudgetExceeded)) throw err;
    facts.scanProblem = err.message;
  }
  facts.scanMs = Date.now() - started;
  return facts;
}
