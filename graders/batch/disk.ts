import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { CannotGrade } from '../engine/errors.js';
import { docker } from '../engine/docker.js';
import { formatBytes, formatCount } from '../format/bytes.js';

/** Free bytes and inodes on the file system holding `dir`, or undefined when it cannot be read. */
export async function freeSpace(dir: string): Promise<{ bytes: number; inodes: number; totalInodes: number } | undefined> {
  try {
    const s = await statfs(dir);
    return { bytes: s.bavail * s.bsize, inodes: s.ffree, totalInodes: s.files };
  } catch {
    return undefined;
  }
}

/**
 * Free inodes a batch wants: 100,000 (a grade of an honest lab makes a few thousand files),
 * or 5% of a small file system's. A file system that does not count inodes (0 in all) is
 * never short of them.
 */
export const minFreeInodes = (total: number) => Math.min(100_000, Math.floor(total * 0.05));

/** Where builds, images and contexts go: the temp folder and, on this machine, the engine's data root. */
async function places(): Promise<string[]> {
  const info = (await docker()
    .info()
    .catch(() => ({}))) as { DockerRootDir?: string };
  const host = process.env.DOCKER_HOST;
  const local = !host || host.startsWith('unix://');
  return [tmpdir(), ...(info.DockerRootDir && local && existsSync(info.DockerRootDir) ? [info.DockerRootDir] : [])];
}

/**
 * Is the disk too full to grade on? One line saying where and what is short, or undefined.
 * Checked before a batch and again before each grade: a grade that fills the disk fails
 * every grade after it, so a batch stops taking grades instead.
 */
export async function diskShortage(minBytes: number): Promise<string | undefined> {
  for (const place of await places()) {
    const free = await freeSpace(place);
    if (!free) continue;
    if (free.bytes < minBytes) {
      return `only ${formatBytes(free.bytes)} free on the disk holding ${place}; a batch needs at least ${formatBytes(minBytes)} (free some space, e.g. \`docker builder prune\`, or set --min-free)`;
    }
    if (free.totalInodes > 0 && free.inodes < minFreeInodes(free.totalInodes)) {
      return `only ${formatCount(free.inodes)} inodes (files) free on the disk holding ${place}; a batch needs at least ${formatCount(minFreeInodes(free.totalInodes))} (free some, e.g. \`docker builder prune\`)`;
    }
  }
  return undefined;
}

/** Before a batch: refuse to start, in one line, on a disk too full to grade on. */
export async function requireFreeSpace(minBytes: number): Promise<void> {
  const short = await diskShortage(minBytes);
  if (short) throw new CannotGrade(short);
}
