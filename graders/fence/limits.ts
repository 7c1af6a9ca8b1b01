import { availableParallelism } from 'node:os';
import { formatBytes, formatCount, formatMemory } from '../format/bytes.js';

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
 * Defaults, from the honest builds of every lab's solution and starter without cache
 * (`scripts/measure-builds.ts`, graders/fence/README.md): at most 598 MiB of memory in one
 * step (page cache included; 317 MiB that cannot be reclaimed), 39 processes and threads,
 * 36 CPU seconds, 544 MB and 17,984 files written. Memory: over three times the peak, and
 * two grades' builds (4 GiB) plus their containers fit an 8 GiB machine. Processes: ten
 * times the peak, more on machines with many cores (Go 1.24 and `go build` size their
 * threads and parallel compiles by the cores they see, not by the CPU quota). CPUs: half
 * the machine per step, so two grades side by side share it. Disk and files: seven and
 * sixteen times the peak, well under the free space a batch asks for.
 */
const cores = availableParallelism();
export const DEFAULT_BUILD_LIMITS: BuildLimits = {
  memoryBytes: 2 * GiB,
  pids: Math.max(512, 16 * cores),
  cpus: Math.max(1, Math.floor(cores / 2)),
  diskBytes: 4e9,
  files: 300_000,
};

/** All of a grade's builds together, when no other time is given. */
export const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60_000;

/** One line for notes and the terminal: "2 GiB of memory, 512 processes, 1 CPU per step, 4 GB and 300,000 files written". */
export function describeLimits(l: BuildLimits): string {
  return `${formatMemory(l.memoryBytes)} of memory, ${formatCount(l.pids)} processes, ${l.cpus} CPU${l.cpus === 1 ? '' : 's'} per step, ${formatBytes(l.diskBytes)} and ${formatCount(l.files)} files written`;
}
