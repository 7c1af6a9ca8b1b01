import { BuildFence } from './fence.js';
import { probeBuildLimits } from './probe.js';

export { describeLimits, DEFAULT_BUILD_LIMITS, formatMemory, parseSize, type BuildLimits } from './limits.js';
export type { BuildFence, BuildPeaks, FenceStop, GradeFence } from './fence.js';

/** Images with a shell the probe can build FROM (the first one on the engine is used). */
const PROBE_IMAGES = ['debian:trixie-slim', 'golang:1.24-trixie', 'node:20-trixie', 'python:3.13-slim-trixie', 'eclipse-temurin:21-jdk'];

/** The fence, or the one line saying why build limits cannot be applied here. */
export type FenceAvailability = { fence: BuildFence; inside: string } | { reason: string };

let once: Promise<FenceAvailability> | undefined;

/**
 * The build fence for this process's engine: probed once per process (a tiny build, about
 * a second), then shared by every grade. Never throws for a fence that cannot work; it
 * says why instead (the grade notes it; a batch refuses to start without
 * --allow-unlimited-builds).
 */
export function buildFence(extraImages: string[] = []): Promise<FenceAvailability> {
  once ??= probeBuildLimits([...PROBE_IMAGES, ...extraImages])
    .then((v): FenceAvailability => (v.ok ? { fence: new BuildFence(v.site), inside: v.inside } : { reason: v.reason }))
    .catch((err: Error): FenceAvailability => ({ reason: `the probe build failed: ${err.message.split('\n')[0]}` }));
  return once;
}

/** The line a grade and a batch show when the fence is off. */
export const unlimitedLine = (reason: string) =>
  `build limits are off: ${reason}; a RUN step can use all of this machine's memory, processes and disk`;
