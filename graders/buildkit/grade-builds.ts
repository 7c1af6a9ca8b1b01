import { usesContainerdStore } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { engineFault } from '../engine/faults.js';
import { fenceHostNetwork } from '../run/network.js';
import { buildImage, type BuildResult, type BuildStep } from './build.js';
import { CacheOwner, isHeavy, openWindow, settleBuildCache } from './cache.js';
import {
  buildFence,
  ceilingLine,
  distrustFence,
  DEFAULT_BUILD_LIMITS,
  DEFAULT_BUILD_TIMEOUT_MS,
  limitsRequired,
  unlimitedLine,
  type BuildLimits,
  type GradeFence,
} from '../fence/index.js';

/** What a grade's builds may take: a grade's limits (pipeline/limits.ts) carry these fields as they are. */
export interface BuildSettings {
  /** All of the grade's builds together (default: DEFAULT_BUILD_TIMEOUT_MS). */
  buildTimeoutMs?: number;
  /** One step; the grade's whole budget when not set. */
  stepTimeoutMs?: number;
  /** What each RUN step, and the grade's steps together, may use (the defaults where not given). */
  buildLimits?: Partial<BuildLimits>;
}

export interface GradeBuildOptions extends BuildSettings {
  /** `none` unless the lab needs a package index. */
  network: 'none' | 'default';
  onStep?: (step: BuildStep) => void;
  /** Build without the build cache (measurements of whole builds). */
  noCache?: boolean;
  /** The images are removed after the grade: on the containerd image store their layers are kept uncompressed (build.ts says why). */
  throwaway?: boolean;
}

/**
 * One grade's builds — the build, and the rebuild of cache-friendly — under one
 * registration with the build fence, one time budget, and one entry in the build-cache
 * ledger: what the pipeline needs from the build stage, in three calls.
 */
export class GradeBuilds {
  private fence?: GradeFence;
  private deadline?: number;
  private readonly cache = new CacheOwner();
  private hostNote?: string;
  private uncompressedLayers = false;
  private pulls = false;
  private closed = false;

  constructor(private readonly opts: GradeBuildOptions) {}

  /** Before the first build: fence the grade's steps (the probe runs once per process), or say why not. */
  async open(): Promise<string | undefined> {
    // No route to this machine's services from a networked build step or a graded container:
    // the rules go in while the fence is found, and the grade registers with the fence as
    // soon as it is (its thread starts meanwhile), not after the rules.
    const fencing = buildFence().then(async (available) => {
      if ('fence' in available) this.fence = await available.fence.register({ ...DEFAULT_BUILD_LIMITS, ...this.opts.buildLimits });
      return available;
    });
    const parts = [fenceHostNetwork(), fencing, this.opts.throwaway && usesContainerdStore()] as const;
    // All settle first: a grade registered while the rules failed is released here, not left to hold the process.
    const failed = (await Promise.allSettled(parts)).find((p) => p.status === 'rejected');
    if (failed) {
      await this.close();
      throw failed.reason;
    }
    const [hostNote, available, containerd] = await Promise.all(parts);
    this.hostNote = hostNote;
    this.uncompressedLayers = Boolean(containerd);
    if ('reason' in available) return unlimitedLine(available.reason);
    // A batch builds nothing without the ceiling: checked before the first step, not after.
    if (this.fence?.failure && limitsRequired) {
      await this.close();
      throw new CannotGrade(`${unlimitedLine(this.fence.failure)}: a batch does not grade without them (add --allow-unlimited-builds to grade anyway)`);
    }
    return available.ceiling ? ceilingLine(available.ceiling) : undefined;
  }

  /** The builds pull an image that is not here (an online image, one allowed with --allow-image). */
  pullImages(): this {
    this.pulls = true;
    return this;
  }

  /** One build, in what is left of the grade's time. The engine's disk running short is "could not grade". */
  async build(contextDir: string, tag: string): Promise<BuildResult> {
    const budget = this.opts.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
    this.deadline ??= Date.now() + budget;
    const closeWindow = openWindow(this.cache);
    const built = await buildImage({
      contextDir,
      tag,
      timeoutMs: Math.max(1000, this.deadline - Date.now()),
      timeoutShownMs: budget,
      // By default a step may take all of the grade's build time: an honest cold step takes
      // about a minute, but five at once on a busy 2-core machine took over 300 s each.
      stepTimeoutMs: this.opts.stepTimeoutMs ?? budget,
      network: this.opts.network,
      noCache: this.opts.noCache,
      fence: this.fence,
      uncompressedLayers: this.uncompressedLayers,
      pullsImages: this.pulls,
      onStep: this.opts.onStep,
    }).finally(closeWindow);
    if (built.stopped?.reason === 'unfenced')
      throw new CannotGrade(`a build step was stopped: ${built.stopped.why} (${this.fence?.failure ?? 'no reason given'}); grade again`);
    if (built.stopped?.machine) throw new CannotGrade(`the build was stopped: ${built.stopped.why}; free some space and grade again`);
    const fault = built.ok ? undefined : engineFault(built);
    if (fault) throw new CannotGrade(fault);
    // A batch grades no step without limits: the ceiling on the steps' parent could not be held.
    if (this.fence?.failure && limitsRequired)
      throw new CannotGrade(`${unlimitedLine(this.fence.failure)}: a batch does not grade without them (add --allow-unlimited-builds to grade anyway)`);
    return built;
  }

  /** One build in a session of its own (measurements, benches): opened, built, closed. */
  static async once(opts: GradeBuildOptions, contextDir: string, tag: string): Promise<BuildResult> {
    const builds = new GradeBuilds(opts);
    await builds.open();
    return builds.build(contextDir, tag).finally(() => builds.close());
  }

  /** What the grade's steps used at most, as the fence read it (none where the fence is off). */
  get peaks(): GradeFence['peaks'] | undefined {
    return this.fence?.peaks;
  }

  /** What the grade should show about its builds: no route to this machine, the limits that could not be held. */
  notes(): string[] {
    return [...(this.hostNote ? [this.hostNote] : []), ...(this.fence?.failure ? [unlimitedLine(this.fence.failure)] : [])];
  }

  /** What the fence saw the grade's steps write (undefined where no fence watched): whether the build cache must lose it. */
  private get written(): { bytes: number; files: number; stoppedForDisk: boolean } | undefined {
    const fence = this.fence;
    return (
      fence && {
        bytes: fence.peaks.diskBytes,
        files: fence.peaks.files,
        stoppedForDisk: fence.stops.some((s) => s.reason === 'disk' || s.reason === 'files'),
      }
    );
  }

  /** The grade wrote so much that what it left in the build cache is removed when it closes (its images are removed first). */
  get heavy(): boolean {
    return isHeavy(this.written) === true;
  }

  /**
   * The grade is over (its images removed, or, a light grade's, handed to the command line's
   * cleaner): the fence lets its steps go, and what it left in the build cache is removed if
   * it was heavy.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fence = this.fence;
    if (fence) {
      await fence.release();
      if (fence.failure) await distrustFence();
    }
    if (this.cache.windows.length) await settleBuildCache(this.cache, this.written);
  }
}
