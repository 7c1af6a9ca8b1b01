import type { Readable } from 'node:stream';
import { docker } from '../engine/docker.js';
import { STAND_IN_LABEL } from '../images/catalogue.js';
import { externalImages, type ParsedDockerfile } from '../lint/dockerfile.js';
import { attributeLayers, type LayerOrigin } from './attribution.js';
import { scanSavedImage, type FileEntry, type LayerContent } from './layers.js';

/** What the inspect stage learns about the built image. */
export interface ImageFacts {
  id: string;
  /** Uncompressed size, as `docker images` shows it. */
  size: number;
  user: string;
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
  /** Base images of this build that are local stand-ins, not the upstream images. */
  standInBases: string[];
  /** Per layer, bottom first; absent when the image was too large to scan. */
  layers?: LayerSummary[];
  /** Every entry of every layer; absent when not scanned. */
  files?: FileEntry[];
  scanMs?: number;
}

export interface LayerSummary extends LayerOrigin {
  bytes: number;
  fileCount: number;
  whiteouts: number;
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

/**
 * Inspect a built image: config and size from the engine; every layer's files by
 * streaming `docker save` through a tar parser (nothing is unpacked to disk). Images
 * larger than `scanLimitBytes` are not scanned: their size alone fails them.
 */
export async function inspectImage(imageId: string, df: ParsedDockerfile, scanLimitBytes: number): Promise<ImageFacts> {
  const info = await docker().getImage(imageId).inspect();
  const facts: ImageFacts = {
    id: info.Id,
    size: info.Size,
    user: info.Config?.User ?? '',
    entrypoint: ([] as string[]).concat(info.Config?.Entrypoint ?? []),
    cmd: ([] as string[]).concat(info.Config?.Cmd ?? []),
    labels: info.Config?.Labels ?? {},
    standInBases: await standInBases(df),
  };
  if (info.Size > scanLimitBytes) return facts;

  const started = Date.now();
  const saved = await scanSavedImage((await docker().getImage(imageId).get()) as unknown as Readable);
  const origins = attributeLayers(saved.config, saved.layers.length, df);
  facts.layers = summariseLayers(saved.layers, origins);
  facts.files = saved.layers.flatMap((l) => l.files);
  facts.scanMs = Date.now() - started;
  return facts;
}
