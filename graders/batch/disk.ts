import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { CannotGrade } from '../engine/errors.js';
import { docker } from '../engine/docker.js';
import { formatBytes } from '../format/bytes.js';

/** Free bytes on the file system holding `dir`, or undefined when it cannot be read. */
async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Before a batch: enough free space where builds and images go (the engine's data root,
 * when the engine is on this machine) and where contexts are copied (the temp folder)?
 * A batch that fills the disk fails every grade after that point, so say so up front.
 */
export async function requireFreeSpace(minBytes: number): Promise<void> {
  const info = (await docker().info().catch(() => ({}))) as { DockerRootDir?: string };
  const places = [tmpdir(), ...(info.DockerRootDir && !process.env.DOCKER_HOST ? [info.DockerRootDir] : [])];
  for (const place of places) {
    const free = await freeBytes(place);
    if (free !== undefined && free < minBytes) {
      throw new CannotGrade(`only ${formatBytes(free)} free on the disk holding ${place}; a batch needs at least ${formatBytes(minBytes)} (free some space, e.g. \`docker system prune\`, or set --min-free)`);
    }
  }
}
