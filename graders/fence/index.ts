import { FenceClient } from './client.js';
import type { ProbeVerdict } from './probe.js';
import { forgetVerdict, rememberedVerdict, rememberVerdict } from './remembered.js';
import { firstLine } from '../format/text.js';

export { describeLimits, DEFAULT_BUILD_LIMITS, DEFAULT_BUILD_TIMEOUT_MS, type BuildLimits } from './limits.js';
export type { BuildPeaks, FenceStop } from './fence.js';
export type { FenceClient, GradeFence } from './client.js';

/** Images with a shell the probe can build FROM (the first one on the engine is used). */
const PROBE_IMAGES = ['debian:trixie-slim', 'golang:1.24-trixie', 'node:20-trixie', 'python:3.13-slim-trixie', 'eclipse-temurin:21-jdk'];

/**
 * The fence, or the one line saying why build limits cannot be applied here. `ceiling`:
 * why the kernel's ceiling on the steps' parent group cannot be held, if it cannot (the
 * watcher alone then limits each step, a few milliseconds after it starts).
 */
export type FenceAvailability = { fence: FenceClient; inside: string; ceiling?: string } | { reason: string };

let once: Promise<FenceAvailability> | undefined;
let lastTry = 0;

/** How long a probe waits for an image to probe with (base images being provided by another grade or `npm run images`). */
const WAIT_FOR_IMAGE_MS = 120_000;

/** Whether this process's fence stands on a verdict an earlier grader kept (remembered.ts). */
let remembered = false;

/** The verdict kept by an earlier grader for this engine, else a probe's (kept when it works). */
async function verdict(images: string[], kept = rememberedVerdict()): Promise<ProbeVerdict> {
  remembered = Boolean(kept);
  if (kept) return kept;
  // The probe (a build: the engine's client and a tar writer) loads only when it runs.
  const { probeWithRetries } = await import('./probe.js');
  const probed = await probeWithRetries(images, WAIT_FOR_IMAGE_MS);
  if (probed.ok) await rememberVerdict(probed);
  return probed;
}

/**
 * The build fence for this process's engine: probed once (a tiny build, about a second) and
 * kept for the graders after this one while the same engine runs, then shared by every
 * grade. Never throws for a fence that cannot work; it says why instead (the grade notes
 * it; a batch refuses to start without --allow-unlimited-builds). A probe that failed for a
 * reason that may pass (no image yet, a busy machine) is tried again by the next caller, at
 * most every 10 s.
 */
export function buildFence(extraImages: string[] = []): Promise<FenceAvailability> {
  if (once && retryable && Date.now() - lastTry > 10_000) once = undefined;
  once ??= fenceOf(verdict([...PROBE_IMAGES, ...extraImages]));
  return once;
}
let retryable = false;

/** The fence a verdict allows, or why there is none. */
function fenceOf(probing: Promise<ProbeVerdict>): Promise<FenceAvailability> {
  lastTry = Date.now();
  return probing
    .then((v: ProbeVerdict): FenceAvailability => {
      retryable = !v.ok && Boolean(v.retry);
      if (!v.ok) return { reason: v.reason };
      return { fence: new FenceClient(v.site, v.ceiling ? { reason: v.ceiling } : {}), inside: v.inside, ceiling: v.ceiling };
    })
    .catch((err: Error): FenceAvailability => {
      retryable = true;
      return { reason: `the probe build failed: ${firstLine(err)}` };
    });
}

/**
 * The fence's thread started now, where an earlier grader's verdict holds for this engine:
 * it boots on a core of its own while the grade's modules load (0.05–0.09 s it was waited
 * for). Nothing is asked of the engine, and no probe is started: a grade that cannot start
 * leaves nothing behind.
 */
export function startFenceEarly(): void {
  if (once) return;
  const kept = rememberedVerdict(); // read once: the verdict the fence then starts from
  if (kept) once = fenceOf(verdict(PROBE_IMAGES, kept));
}

/** A grade's steps could not all be fenced: a kept verdict is not trusted again, by this process or the next. */
export async function distrustFence(): Promise<void> {
  if (!remembered) return;
  remembered = false;
  once = undefined;
  await forgetVerdict();
}

/** Set by a batch without --allow-unlimited-builds: a grade whose steps could not all be limited is "could not grade". */
export let limitsRequired = false;
export const requireBuildLimits = () => (limitsRequired = true);

/** The line a grade and a batch show when the fence is off. */
export const unlimitedLine = (reason: string) => `build limits are off: ${reason}; a RUN step can use all of this machine's memory, processes and disk`;

/** The line a grade shows when its steps are limited by the watcher alone, without the kernel's ceiling above them. */
export const ceilingLine = (reason: string) => `build limits hold from a few milliseconds after each RUN step starts, not from its first byte: ${reason}`;
