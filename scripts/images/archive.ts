import { createReadStream, createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { docker, followToEnd } from '../../graders/engine/docker.js';

const gzipped = (file: string) => /\.(tgz|gz)$/.test(file);

/** Write every named image to one tarball (gzip when the name ends in .gz or .tgz). */
export async function saveImages(refs: string[], file: string): Promise<void> {
  // GET /images/get?names=…: dockerode has it, its typings do not.
  const engine = docker() as unknown as { getImages(opts: { names: string[] }): Promise<Readable> };
  const stream = await engine.getImages({ names: refs });
  const partial = `${file}.partial`; // never leave a truncated archive under the real name
  if (gzipped(file)) await pipeline(stream, createGzip(), createWriteStream(partial));
  else await pipeline(stream, createWriteStream(partial));
  await rename(partial, file);
}

/**
 * Load a tarball written by saveImages (or `docker save`). The images these names had
 * before, left nameless by the load, go too (unless a container still uses one): a kit
 * loaded again leaves no row of <none> images behind.
 */
export async function loadImages(file: string, names: readonly string[] = []): Promise<void> {
  const before = await Promise.all(names.map((ref) => imageId(ref)));
  const input = gzipped(file) ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  await followToEnd(await docker().loadImage(input));
  for (const id of new Set(before)) {
    if (!id) continue;
    const info = await docker()
      .getImage(id)
      .inspect()
      .catch(() => undefined);
    if (info && (info.RepoTags ?? []).length === 0)
      await docker()
        .getImage(id)
        .remove()
        .catch(() => undefined);
  }
}

const imageId = (ref: string) =>
  docker()
    .getImage(ref)
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
