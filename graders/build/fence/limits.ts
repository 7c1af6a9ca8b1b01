import { formatBytes, formatCount } from '../../format/bytes.js';

/**
 * What one grade's build may use. Memory, processes and CPU hold for each RUN step and —
 * memory and processes — for all the grade's steps running at once (stages that build side
 * by side); disk and files count everything the grade's RUN steps wrote.
 */
export interface BuildLimits {
  /** Memory (no swap beyond it), per step and for the grade's steps together. */
  memoryBytes: number;
  /** Processes and threads, per step and for the grade's steps together. */
  pids: number;
  /** CPUs each step may keep busy. */
  cpus: number;
  /** Bytes the grade's RUN steps may write (layers and cache mounts). */
  diskBytes: number;
  /** Files and folders the grade's RUN steps may create. */
  files: number;
}

const GiB = 2 ** 30;

/**
 * Defaults (DESIGN.md, "Build limits", has the measurements): the honest builds of every
 * lab's solution and starter peak under 1 GiB of memory, 160 processes and threads, 1 GB
 * written and 40,000 files; two grades at these limits fit a 2-core, 8 GiB machine.
 */
export const DEFAULT_BUILD_LIMITS: BuildLimits = {
  memoryBytes: 2 * GiB,
  pids: 512,
  cpus: 1,
  diskBytes: 4e9,
  files: 300_000,
};

/** 2147483648 → "2 GiB", 805306368 → "768 MiB": memory the way container limits are written. */
export function formatMemory(bytes: number): string {
  if (bytes >= GiB && bytes % (GiB / 4) === 0) return `${bytes / GiB} GiB`;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 2 ** 10, kib: 2 ** 10, kb: 1e3,
  m: 2 ** 20, mib: 2 ** 20, mb: 1e6,
  g: GiB, gib: GiB, gb: 1e9,
  t: 2 ** 40, tib: 2 ** 40, tb: 1e12,
};

/**
 * "2g", "1536m", "2GiB" (binary, as `docker run --memory` reads them) or "4GB" (decimal, as
 * image sizes are shown) → bytes; undefined when the text is not a size.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

/** One line for notes and the terminal: "2 GiB of memory, 512 processes, 1 CPU per step, 4 GB and 300,000 files written". */
export function describeLimits(l: BuildLimits): string {
  return `${formatMemory(l.memoryBytes)} of memory, ${formatCount(l.pids)} processes, ${l.cpus} CPU${l.cpus === 1 ? '' : 's'} per step, ${formatBytes(l.diskBytes)} and ${formatCount(l.files)} files written`;
}
