/** What scripts/cgroup2.ts (the host) and scripts/cgroup2/guest.ts (inside the VM) agree on. */
import type { FenceSite } from '../../graders/fence/fence.js';

/**
 * The build-time hostile cases the bed runs, smallest first (a short key for the table →
 * the case's name in test/fixtures/hostile/cases.ts). The bounded pids probe always runs
 * first: the fork bomb runs only where it held.
 */
export const CASE_KEYS: Record<string, string> = {
  background: 'a build step that leaves processes behind',
  sleeper: 'a build step that sleeps forever',
  'cpu-spinner': 'a build step that keeps four CPUs busy',
  'many-files': 'a build step that makes files by the hundred thousand',
  'memory-hog': 'a build step that allocates far past the memory limit',
  'fork-bomb': 'a fork bomb in a build step',
  'disk-filler': 'a build step that fills the disk',
};

/**
 * Under TCG (no KVM) the VM runs 10–50 times slower than the host: a case's own time bound
 * (`withinSeconds`) is multiplied by this, the grade's whole-build bound raised to
 * VM_BUILD_TIMEOUT_MS, and the step timeout multiplied where the expected message does not
 * name it, so that slowness never stands in for the limit under test. Step timeouts that
 * the expected messages name (the sleeper, the CPU spinner) stay as they are.
 */
export const TCG_SLOWDOWN = 10;
export const VM_BUILD_TIMEOUT_MS = 600_000;

/** One line of /out/results.jsonl. */
export type GuestLine =
  | { kind: 'engine'; version: string; seconds: number; cgroup: string }
  | { kind: 'image'; file: string; seconds: number }
  | { kind: 'probe'; ok: true; seconds: number; inside: string; site: FenceSite }
  | { kind: 'probe'; ok: false; seconds: number; reason: string }
  | { kind: 'groups'; after: string; left: string[] }
  | { kind: 'case'; key: string; name: string; expected: string; seen: string; problems: string[]; seconds: number; left: string[] }
  | { kind: 'end'; seconds: number }
  | { kind: 'error'; message: string };
