/** What scripts/cgroup2.ts (the host) and scripts/cgroup2/guest.ts (inside the VM) agree on. */
import type { FenceSite } from '../../graders/fence/fence.js';

/**
 * The build-time hostile cases the bed runs, smallest first (a short key for the table →
 * the case's name in test/fixtures/hostile/cases.ts): those whose outcome rests on the
 * engine, the cgroup version or the firewall, and that need no base image but
 * debian:trixie-slim. The bounded pids probe always runs first: the fork bomb runs only
 * where it held.
 */
export const CASE_KEYS: Record<string, string> = {
  'env-doubling': "self-doubling ENV A=$A$A (the engine's lexer would burn CPU past the grade)",
  background: 'a build step that leaves processes behind',
  sleeper: 'a build step that sleeps forever',
  'cut-names-step': 'a build cut by its time limit names the step that was running, not the next',
  'slow-steps': 'build steps that together run past the build time limit',
  'reach-host': "a build step reaching for the host's services (lab without a network)",
  'reach-host-net': "a build step reaching for the host's services (lab with a network)",
  'cpu-spinner': 'a build step that keeps four CPUs busy',
  'many-files': 'a build step that makes files by the hundred thousand',
  'memory-hog': 'a build step that allocates far past the memory limit',
  'side-by-side': 'build stages side by side, each under the memory limit, together over it',
  'frozen-hog': "a memory hog while the grader's event loop is frozen for 30 s",
  'fork-bomb': 'a fork bomb in a build step',
  'disk-filler': 'a build step that fills the disk',
  'stage-layer': 'a build stage that leaves a 1.2 GB layer in the build cache',
};

/**
 * Under TCG (no KVM) the VM runs 10–50 times slower than the host: a case's own time bounds
 * (`withinSeconds`, a frozen grader's freeze) are multiplied by this, the grade's whole-build bound raised to
 * VM_BUILD_TIMEOUT_MS, and the step timeout multiplied (and raised to that bound) where the
 * expected message does not name it, so that slowness never stands in for the limit under test. Time limits that the
 * expected messages name stay as they are: a step's (the sleeper, the CPU spinner), the
 * build's (the cut build, the slow steps).
 */
export const TCG_SLOWDOWN = 10;
export const VM_BUILD_TIMEOUT_MS = 600_000;

/** Seconds the engine is watched after each case, and the share of one CPU it may use meanwhile (a runaway lexer takes all of one). */
export const ENGINE_QUIET_S = 5;
export const ENGINE_QUIET_CPU = 0.5;

/** One line of /out/results.jsonl. */
export type GuestLine =
  | { kind: 'engine'; version: string; seconds: number; cgroup: string }
  | { kind: 'image'; file: string; seconds: number }
  | { kind: 'probe'; ok: true; seconds: number; inside: string; site: FenceSite }
  | { kind: 'probe'; ok: false; seconds: number; reason: string }
  | { kind: 'groups'; after: string; left: string[] }
  | {
      kind: 'case';
      key: string;
      name: string;
      expected: string;
      seen: string;
      problems: string[];
      seconds: number;
      left: string[];
      /** What the guest saw from outside the grader: the steps' cgroups, the engine's CPU after, the firewall rules. */
      outside?: string;
    }
  /** The kit's firewall rules still in the kernel after the last grader let them go (none may be). */
  | { kind: 'rules'; left: string[] }
  | { kind: 'end'; seconds: number }
  | { kind: 'error'; message: string };
