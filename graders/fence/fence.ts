import { randomBytes } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, formatCount, formatMemory } from '../format/bytes.js';
import type { SharedCeiling } from './ceiling.js';
import { applyLimits, childDirs, groupEmpty, groupMissing, killAll, sample, type CgroupDirs, type CgroupSample } from './cgroups.js';
import type { BuildLimits } from './limits.js';
import { readStepBundle, writableFolder, type StepBundle } from './step-bundle.js';
import { treeSize } from './tree-size.js';
import { firstLine } from '../format/text.js';

/** STAGECRAFT_FENCE_DEBUG=1: what the fence sees and decides, on stderr. */
const debug = (line: string) => process.env.STAGECRAFT_FENCE_DEBUG && process.stderr.write(`fence ${new Date().toISOString().slice(11, 23)} ${line}\n`);

/** Where one engine's BuildKit runs its steps, as the probe found it (probe.ts). */
export interface FenceSite {
  /** The group BuildKit makes each step's group in, per controller. */
  parent: CgroupDirs;
  /** A step's group is named `<prefix><step id><suffix>`. */
  leaf: { prefix: string; suffix: string };
  /** Where BuildKit writes each step's runc bundle: `<execRoot>/<step id>/config.json`. */
  execRoot: string;
  /** The mountinfo file that shows the engine's mounts (the steps' root file systems). */
  mountinfo: string;
  /** Where the engine's paths are read from here: '' when its files are ours, `/proc/<engine>/root` when it runs in a mount namespace or chroot of its own. */
  fsRoot: string;
  /** The engine's data root (layers, build cache), for its free space. */
  dataRoot: string;
}

/**
 * Where the engine makes a new layer's folder, on the host, one folder per layer: what a
 * COPY or ADD writes lands in its `diff` (classic store, overlay2) or `fs` (containerd's
 * overlayfs snapshotter). The one place that knows each engine's layout.
 */
export function snapshotRoots(dataRoot: string): { dir: string; sub: string }[] {
  return [
    { dir: `${dataRoot}/overlay2`, sub: 'diff' },
    { dir: `${dataRoot}/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots`, sub: 'fs' },
    { dir: '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots', sub: 'fs' },
  ];
}

/** A layer folder made while grades were copying (COPY, ADD), and whom its bytes are charged to. */
interface Layer {
  folder: string;
  /** The grades copying when it appeared: charged for it if none is copying when it grows. */
  grades: GradeFence[];
  bytes: number;
  files: number;
  walking?: boolean;
  lastWalk: number;
  walkMs: number;
}

export type StopReason = 'memory' | 'pids' | 'disk' | 'files' | 'disk-full' | 'unfenced';

/** A step the fence stopped, and why, in words for the `builds` message. */
export interface FenceStop {
  reason: StopReason;
  /** The step's command as runc ran it, to find its Dockerfile line. */
  command: string;
  /** "it used more than 2 GiB of memory" */
  why: string;
  /** The machine ran short (the engine's disk), or the grader could not limit a step: "could not grade". */
  machine: boolean;
}

/** What a grade's build steps used at their peak (the figures the defaults in graders/fence/README.md come from). */
export interface BuildPeaks {
  /** The largest charged memory of one step, page cache included. */
  memoryBytes: number;
  /** The most unreclaimable memory (anonymous, shared) the grade's steps held at once. */
  anonBytes: number;
  /** The most processes and threads the grade's steps ran at once. */
  pids: number;
  cpuSeconds: number;
  diskBytes: number;
  files: number;
  /** RUN steps the fence saw. */
  steps: number;
}

interface Step {
  id: string;
  grade: GradeFence;
  dirs: CgroupDirs;
  bundle: StepBundle;
  writable: string[];
  initial: Map<string, { bytes: number; files: number }>;
  written: { bytes: number; files: number };
  walkMs: number;
  lastWalk: number;
  walking?: Promise<void>;
  cpuNs: number;
  last?: CgroupSample;
  /** The most unreclaimable memory it held, and whether a fork was ever refused. */
  maxAnon: number;
  forkRefused: boolean;
  stopped: boolean;
}

/**
 * A step is over once its group is gone or holds no process: BuildKit may report a step's
 * failure before runc removes the group, and what the step reached (its limit) must be
 * accounted before the build's verdict is made.
 */
async function isOver(step: Step): Promise<boolean> {
  const procs = await readFile(path.join(step.dirs.controllers.pids!.dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return procs.trim() === '';
}

/** A marker for one grade: put in the build's `no_proxy`, BuildKit hands it to every RUN step without touching the cache key. */
export const newMarker = () => `stagecraft-${randomBytes(8).toString('hex')}.invalid`;

/** One grade's registration with the fence (in the fence's worker): its marker, its limits, what was stopped. */
export class GradeFence {
  readonly stops: FenceStop[] = [];
  /**
   * Steps that reached a limit and ended by themselves before the fence stopped them: a
   * process refused memory inside a system call, or a fork, often gives up at once. If
   * such a step failed the build, this names why.
   */
  readonly strained: FenceStop[] = [];
  readonly peaks: BuildPeaks = { memoryBytes: 0, anonBytes: 0, pids: 0, cpuSeconds: 0, diskBytes: 0, files: 0, steps: 0 };
  /** Called when the fence stops one of this grade's steps (or the whole build). */
  onStop?: (stop: FenceStop) => void;
  /** A step's limits could not be written: the one line to show, if any. */
  failure?: string;
  readonly steps = new Set<Step>();
  finished = { bytes: 0, files: 0 };
  /** The grade's steps that are not RUN (COPY, ADD) running now, as its build's progress says. */
  copying = 0;
  /** What its COPY and ADD steps wrote (its share of the layers made while it copied). */
  copied = { bytes: 0, files: 0 };

  constructor(
    readonly limits: BuildLimits,
    readonly marker: string,
    /** Account for the grade's steps that have ended since the last reading (BuildKit may say so first). */
    readonly settle: () => Promise<void> = async () => undefined,
  ) {}
}

export interface FenceOptions {
  /** How often running steps are read. */
  pollMs?: number;
  /** Stop every build when the engine's disk has less free than this, or fewer free inodes. */
  floorBytes?: number;
  floorInodes?: number;
  /** The kernel's ceiling on BuildKit's parent group while grades build (none in tests of the watcher alone). */
  ceiling?: SharedCeiling;
}

/**
 * The build fence: while grades build, it watches the engine's BuildKit make each RUN
 * step's cgroup, recognises a grade's steps by the marker in their environment, and puts
 * the grade's limits on them before the step's command starts (runc creates the group
 * while its own init is still running). It then reads the steps a few times a second,
 * stops the ones that hit a limit — memory, processes, disk written, files made; alone or
 * with the grade's other steps — and records why, for the `builds` message. Steps of any
 * other build on the engine are never touched.
 */
export class BuildFence {
  private readonly grades = new Set<GradeFence>();
  private readonly seen = new Set<string>();
  private readonly live = new Map<string, Step>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  private busy = false;
  private lastFree?: { bytes: number; inodes: number };
  /** Layer folders known so far (undefined until the first look), and those being measured. */
  private knownLayers?: Set<string>;
  private readonly layers = new Map<string, Layer>();
  private readonly unclaimed = new Map<string, { folder: string; seen: number }>();
  /**
   * The layer folders of RUN steps that have ended: a step's folder seen while it ran is
   * still unclaimed when a COPY right after it starts, and is never that copy's (a 1.2 GB
   * RUN followed by a COPY was charged twice, and stopped).
   */
  private readonly endedStepFolders = new Set<string>();
  private readonly pollMs: number;
  private readonly floorBytes: number;
  private readonly floorInodes: number;
  private readonly ceiling?: SharedCeiling;
  /** Why the parent's ceiling could not be written, while it could not. */
  ceilingFailure?: string;

  constructor(
    readonly site: FenceSite,
    opts: FenceOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 200;
    this.floorBytes = opts.floorBytes ?? 1e9;
    this.floorInodes = opts.floorInodes ?? 50_000;
    this.ceiling = opts.ceiling;
  }

  /** Fence a grade's builds from now until `release`. */
  register(limits: BuildLimits, marker = newMarker()): GradeFence {
    const grade: GradeFence = new GradeFence(limits, marker, async () => {
      for (const step of grade.steps) if (this.live.has(step.id) && (await isOver(step))) await this.finish(step);
    });
    this.grades.add(grade);
    this.holdCeiling();
    if (this.ceilingFailure) grade.failure = this.ceilingFailure;
    this.start();
    return grade;
  }

  /** The grade's builds are over: account what its last steps wrote, and stop watching for it. */
  async release(grade: GradeFence): Promise<void> {
    for (const step of grade.steps) if (this.live.has(step.id)) await this.finish(step);
    this.grades.delete(grade);
    this.holdCeiling();
    if (this.grades.size === 0) this.stop();
  }

  /**
   * The parent's ceiling follows the grades being built: what they may use together (each
   * grade's memory and processes hold for all its steps at once), released with the last.
   */
  private holdCeiling(): void {
    if (!this.ceiling) return;
    try {
      if (this.grades.size === 0) this.ceiling.release();
      else {
        const need = [...this.grades].reduce((n, g) => ({ memoryBytes: n.memoryBytes + g.limits.memoryBytes, pids: n.pids + g.limits.pids }), {
          memoryBytes: 0,
          pids: 0,
        });
        const c = this.ceiling.hold(need);
        debug(`ceiling memory ${c.memory} pids ${c.pids}`);
      }
      this.ceilingFailure = undefined;
    } catch (err) {
      this.ceilingFailure = `the ceiling on the engine's build steps could not be written (${firstLine(err)})`;
    }
  }

  private get watchDir(): string {
    const { pids, memory } = this.site.parent.controllers;
    return (pids ?? memory)!.dir;
  }

  private start(): void {
    if (this.timer) return;
    try {
      this.watcher = watch(this.watchDir, (_event, name) => {
        if (name) void this.adopt(name.toString());
      });
      this.watcher.on('error', () => undefined); // the periodic scan still finds new steps
    } catch {
      // the parent appears with the engine's first step; the scan below finds steps meanwhile
    }
    void this.copies(); // the layer folders there are now: none of them is a grade's
    this.timer = setInterval(() => void this.tick(), this.pollMs);
    this.timer.unref();
  }

  private stop(): void {
    this.knownLayers = undefined;
    this.layers.clear();
    this.unclaimed.clear();
    this.endedStepFolders.clear();
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A new group under BuildKit's parent: a step of one of our grades? Then fence it at once. */
  private async adopt(name: string): Promise<void> {
    const { prefix, suffix } = this.site.leaf;
    if (this.seen.has(name) || !name.startsWith(prefix) || !name.endsWith(suffix)) return;
    this.seen.add(name);
    const id = name.slice(prefix.length, name.length - suffix.length);
    // runc writes the bundle before it makes the group; a read that races the write is retried.
    let bundle: StepBundle | undefined;
    for (let attempt = 0; !bundle && attempt < 3; attempt++) {
      bundle = await readStepBundle(this.site.execRoot, id, this.site.fsRoot);
      if (!bundle) await new Promise((r) => setTimeout(r, 5));
    }
    const grade = bundle && [...this.grades].find((g) => bundle.noProxy.includes(g.marker));
    if (!bundle || !grade) return;
    const dirs = childDirs(this.site.parent, name);
    const step: Step = {
      id,
      grade,
      dirs,
      bundle,
      writable: [],
      initial: new Map(),
      written: { bytes: 0, files: 0 },
      walkMs: 0,
      lastWalk: 0,
      cpuNs: 0,
      maxAnon: 0,
      forkRefused: false,
      stopped: false,
    };
    try {
      if (!(await this.limit(dirs, grade.limits))) return; // the step was over before it could be limited
    } catch (err) {
      // A step is never left to run without its limits: stopped, and said why.
      this.live.set(id, step);
      grade.steps.add(step);
      if ((err as NodeJS.ErrnoException).code === 'EBUSY') {
        // The kernel refuses a memory limit below what the group holds: it is past it already.
        this.halt(step, 'memory', `it used more than ${formatMemory(grade.limits.memoryBytes)} of memory`);
      } else {
        grade.failure = `the build limits could not be put on a step (${firstLine(err)})`;
        this.halt(step, 'unfenced', 'the grader could not put its limits on it', true);
      }
      return;
    }
    debug(`adopted ${id}: ${bundle.command.slice(0, 80)}`);
    this.live.set(id, step);
    grade.steps.add(step);
    grade.peaks.steps++;
    step.walking = this.measureStart(step).finally(() => (step.walking = undefined));
  }

  /**
   * runc makes a step's group in each v1 hierarchy in turn: wait (briefly) for all of them.
   * False when the group went away meanwhile, or is going (the step was over: a quick step can
   * end between being seen and being limited).
   */
  private async limit(dirs: CgroupDirs, limits: BuildLimits): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await applyLimits(dirs, limits);
        return true;
      } catch (err) {
        const missing = groupMissing(err);
        if (!missing) throw err;
        if (missing === 'removed' || attempt >= 50) {
          // Let go only a step that is over: a group with processes in it and no limits is stopped.
          if (await groupEmpty(dirs)) return false;
          throw err;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  }

  /** Where the step writes, on the host, and how full those folders were when it started. */
  private async measureStart(step: Step): Promise<void> {
    const mountinfo = await readFile(this.site.mountinfo, 'utf8').catch(() => '');
    step.writable = [step.bundle.rootfs, ...step.bundle.writableMounts].map((m) => this.site.fsRoot + writableFolder(mountinfo, m));
    for (const folder of step.writable) {
      const s = await treeSize(folder, step.grade.limits.files + 1);
      step.initial.set(folder, { bytes: s.bytes, files: s.files });
    }
    step.lastWalk = Date.now();
  }

  private async tick(): Promise<void> {
    if (this.busy) return; // a slow reading (a busy machine) is never overlapped by the next
    this.busy = true;
    try {
      await this.read();
    } finally {
      this.busy = false;
    }
  }

  private async read(): Promise<void> {
    this.ticks++;
    // Steps the watch missed (it starts with the first grade; inotify can overflow).
    if (this.ticks % 5 === 1) {
      for (const name of await readdir(this.watchDir).catch(() => [] as string[])) void this.adopt(name);
    }
    for (const step of [...this.live.values()]) await this.readStep(step);
    for (const grade of this.grades) this.together(grade);
    if (this.ticks % 3 === 0) await this.disk();
    if (this.ticks % 3 === 0) await this.copies();
  }

  /**
   * Writes that are not a RUN step's: a COPY or ADD (six `COPY --from=<toolchain> / /cN/`
   * wrote 5.7 GB) writes a new layer folder from the engine itself, in no cgroup. The
   * fence notes each layer folder that appears while a grade's COPY or ADD runs, measures
   * it as it grows, and charges the growth to the grades copying at that moment (split
   * among them when several are: a classmate's copy never costs a grade more than its
   * share), within the same disk and files budgets as RUN steps.
   */
  private async copies(): Promise<void> {
    const names = new Map<string, string>();
    for (const root of snapshotRoots(this.site.dataRoot)) {
      for (const name of await readdir(root.dir).catch(() => [] as string[])) names.set(`${root.dir}/${name}`, `${root.dir}/${name}/${root.sub}`);
    }
    const copying = [...this.grades].filter((g) => g.copying > 0);
    if (!this.knownLayers) this.knownLayers = new Set(names.keys());
    const present = new Set(names.values());
    for (const folder of this.endedStepFolders) if (!present.has(folder)) this.endedStepFolders.delete(folder); // removed since
    const stepFolders = new Set([...[...this.live.values()].flatMap((s) => s.writable), ...this.endedStepFolders]);
    const now = Date.now();
    for (const [key, folder] of names) {
      if (this.knownLayers.has(key)) continue;
      this.knownLayers.add(key);
      this.unclaimed.set(key, { folder, seen: now });
    }
    // The build's progress reaches the fence a little after the engine made the layer: a
    // layer seen up to 5 s before a grade's COPY was reported is that copy's.
    for (const [key, { folder, seen }] of this.unclaimed) {
      if (now - seen > 5_000) this.unclaimed.delete(key);
      else if (copying.length) {
        this.unclaimed.delete(key);
        // A RUN step's own layer is measured as the step's.
        if (!stepFolders.has(folder)) this.layers.set(key, { folder, grades: copying, bytes: 0, files: 0, lastWalk: 0, walkMs: 0 });
      }
    }
    for (const [key, layer] of this.layers) {
      if (!names.has(key) || !layer.grades.some((g) => this.grades.has(g))) {
        this.layers.delete(key); // removed (a failed copy), or its grades are over
        continue;
      }
      if (stepFolders.has(layer.folder)) {
        this.layers.delete(key); // a RUN step's after all
        continue;
      }
      if (layer.walking || now - layer.lastWalk < 4 * layer.walkMs) continue;
      layer.walking = true;
      void this.walkLayer(layer).finally(() => (layer.walking = false));
    }
  }

  private async walkLayer(layer: Layer): Promise<void> {
    const started = Date.now();
    const budget = Math.max(...layer.grades.map((g) => g.limits.diskBytes));
    const files = Math.max(...layer.grades.map((g) => g.limits.files));
    const s = await treeSize(layer.folder, files + 1, budget + 1).catch(() => undefined);
    layer.walkMs = Date.now() - started;
    layer.lastWalk = Date.now();
    if (!s) return;
    const grown = { bytes: Math.max(0, s.bytes - layer.bytes), files: Math.max(0, s.files - layer.files) };
    layer.bytes = Math.max(layer.bytes, s.bytes);
    layer.files = Math.max(layer.files, s.files);
    if (!grown.bytes && !grown.files) return;
    const copyingNow = layer.grades.filter((g) => g.copying > 0 && this.grades.has(g));
    const charged = copyingNow.length ? copyingNow : layer.grades.filter((g) => this.grades.has(g));
    debug(`layer ${layer.folder} ${s.bytes} bytes ${s.files} files, charged to ${charged.length} grade(s)`);
    for (const g of charged) {
      g.copied.bytes += grown.bytes / charged.length;
      g.copied.files += grown.files / charged.length;
      this.charge(g);
    }
  }

  /** Read one step; a group that is gone is a step that ended. */
  private async readStep(step: Step): Promise<void> {
    let s: CgroupSample;
    try {
      s = await sample(step.dirs);
    } catch {
      if (!existsSync(step.dirs.controllers.pids!.dir)) await this.finish(step);
      return;
    }
    step.last = s;
    step.maxAnon = Math.max(step.maxAnon, s.anonBytes);
    step.forkRefused ||= s.pidsRefused > 0;
    const peaks = step.grade.peaks;
    peaks.memoryBytes = Math.max(peaks.memoryBytes, s.peakBytes ?? s.usageBytes);
    if (s.cpuNs !== undefined) {
      peaks.cpuSeconds += Math.max(0, s.cpuNs - step.cpuNs) / 1e9;
      step.cpuNs = s.cpuNs;
    }
    const limits = step.grade.limits;
    if (s.outOfMemory) this.halt(step, 'memory', `it used more than ${formatMemory(limits.memoryBytes)} of memory`);
    else if (s.pidsRefused > 0) this.halt(step, 'pids', `it started more than ${formatCount(limits.pids)} processes and threads`);
  }

  /** The grade's steps running side by side share its memory and processes. */
  private together(grade: GradeFence): void {
    const running = [...grade.steps].filter((s) => this.live.has(s.id) && s.last && !s.stopped);
    const anon = running.reduce((n, s) => n + s.last!.anonBytes, 0);
    const pids = running.reduce((n, s) => n + s.last!.pids, 0);
    grade.peaks.anonBytes = Math.max(grade.peaks.anonBytes, anon);
    grade.peaks.pids = Math.max(grade.peaks.pids, pids, ...running.map((s) => s.last!.pidsPeak ?? 0));
    if (running.length < 2) return;
    const largest = (key: 'anonBytes' | 'pids') => running.reduce((a, b) => (b.last![key] > a.last![key] ? b : a));
    if (anon > grade.limits.memoryBytes) {
      this.halt(
        largest('anonBytes'),
        'memory',
        `with the ${running.length - 1} other step(s) running beside it, it used more than ${formatMemory(grade.limits.memoryBytes)} of memory`,
      );
    } else if (pids > grade.limits.pids) {
      this.halt(
        largest('pids'),
        'pids',
        `with the ${running.length - 1} other step(s) running beside it, it started more than ${formatCount(grade.limits.pids)} processes and threads`,
      );
    }
  }

  /** Disk: the engine's free space first, then what each grade's steps wrote. */
  private async disk(): Promise<void> {
    let free: { bytes: number; inodes: number } | undefined;
    try {
      const s = await statfs(this.site.dataRoot);
      free = { bytes: s.bavail * s.bsize, inodes: s.ffree };
    } catch {
      // the data root is not readable from here: the budgets below still hold
    }
    if (free && (free.bytes < this.floorBytes || (free.inodes < this.floorInodes && free.inodes > 0))) {
      const why = `the disk holding the engine's data (${this.site.dataRoot}) has only ${formatBytes(free.bytes)} and ${formatCount(free.inodes)} inodes free; the build was stopped before it filled up`;
      for (const grade of this.grades) this.haltGrade(grade, 'disk-full', why, true);
      return;
    }
    // Walk the steps' folders when the disk has changed noticeably, else now and then: a
    // walk costs a stat per file, and most steps write little.
    const budget = [...this.grades].reduce((b, g) => ({ bytes: Math.min(b.bytes, g.limits.diskBytes / 8), files: Math.min(b.files, g.limits.files / 8) }), {
      bytes: 128e6,
      files: 10_000,
    });
    const changed = !this.lastFree || !free || this.lastFree.bytes - free.bytes > budget.bytes || this.lastFree.inodes - free.inodes > budget.files;
    debug(`disk free ${free?.bytes} bytes ${free?.inodes} inodes${changed ? ' (changed)' : ''}`);
    const now = Date.now();
    for (const step of this.live.values()) {
      if (step.walking || step.stopped) continue;
      const due = now - step.lastWalk >= Math.max(changed ? 0 : 5_000, 4 * step.walkMs);
      if (due) step.walking = this.walk(step).finally(() => (step.walking = undefined));
    }
    if (changed && free) this.lastFree = free;
  }

  private async walk(step: Step): Promise<void> {
    const started = Date.now();
    debug(`walk ${step.id} start`);
    const { diskBytes, files } = step.grade.limits;
    let bytes = 0;
    let count = 0;
    for (const folder of step.writable) {
      const before = step.initial.get(folder) ?? { bytes: 0, files: 0 };
      const s = await treeSize(folder, before.files + files + 1, before.bytes + diskBytes + 1);
      bytes += Math.max(0, s.bytes - before.bytes);
      count += Math.max(0, s.files - before.files);
    }
    step.written = { bytes: Math.max(step.written.bytes, bytes), files: Math.max(step.written.files, count) };
    step.walkMs = Date.now() - started;
    step.lastWalk = Date.now();
    debug(`walk ${step.id} ${bytes} bytes ${count} files in ${step.walkMs} ms`);
    if (this.live.has(step.id)) this.charge(step.grade, step);
  }

  /** Has the grade written past its budgets? Stop the step that wrote the most. */
  private charge(grade: GradeFence, culprit?: Step): void {
    const live = [...grade.steps].filter((s) => this.live.has(s.id));
    const bytes = grade.finished.bytes + grade.copied.bytes + live.reduce((n, s) => n + s.written.bytes, 0);
    const files = grade.finished.files + grade.copied.files + live.reduce((n, s) => n + s.written.files, 0);
    grade.peaks.diskBytes = Math.max(grade.peaks.diskBytes, bytes);
    grade.peaks.files = Math.max(grade.peaks.files, files);
    const most = live.reduce<Step | undefined>((a, b) => (!a || b.written.bytes > a.written.bytes ? b : a), culprit);
    if (bytes > grade.limits.diskBytes) {
      const why = `it wrote more than ${formatBytes(grade.limits.diskBytes)} to disk${live.length > 1 || grade.finished.bytes || (grade.copied.bytes && live.length) ? " (with the build's other steps)" : ''}`;
      if (most) this.halt(most, 'disk', why);
      else this.haltGrade(grade, 'disk', why, false);
    } else if (files > grade.limits.files) {
      const why = `it created more than ${formatCount(grade.limits.files)} files${live.length > 1 || grade.finished.files ? " (with the build's other steps)" : ''}`;
      if (most) this.halt(most, 'files', why);
      else this.haltGrade(grade, 'files', why, false);
    }
  }

  /** A step is over: what it wrote stays in the grade's account (its layer is on disk). */
  private async finish(step: Step): Promise<void> {
    if (!this.live.delete(step.id)) return;
    for (const folder of step.writable) this.endedStepFolders.add(folder);
    const { memoryBytes, pids } = step.grade.limits;
    const strained = (reason: StopReason, why: string) => step.grade.strained.push({ reason, command: step.bundle.command, why, machine: false });
    if (!step.stopped && step.maxAnon >= 0.8 * memoryBytes) strained('memory', `it used more than ${formatMemory(memoryBytes)} of memory`);
    else if (!step.stopped && step.forkRefused) strained('pids', `it tried to start more than ${formatCount(pids)} processes and threads`);
    await step.walking;
    if (!step.stopped) await this.walk(step).catch(() => undefined);
    step.grade.finished.bytes += step.written.bytes;
    step.grade.finished.files += step.written.files;
    if (!step.stopped) this.charge(step.grade);
  }

  private halt(step: Step, reason: StopReason, why: string, machine = false): void {
    if (step.stopped) return;
    debug(`halt ${step.id}: ${why}`);
    step.stopped = true;
    const stop: FenceStop = { reason, command: step.bundle.command, why, machine };
    step.grade.stops.push(stop);
    void killAll(step.dirs);
    step.grade.onStop?.(stop);
  }

  /** Stop all of a grade's running steps (or, between steps, tell its build to stop). */
  private haltGrade(grade: GradeFence, reason: StopReason, why: string, machine: boolean): void {
    const running = [...grade.steps].filter((s) => this.live.has(s.id) && !s.stopped);
    for (const step of running) this.halt(step, reason, why, machine);
    if (running.length === 0 && !grade.stops.some((s) => s.reason === reason)) {
      const stop: FenceStop = { reason, command: '', why, machine };
      grade.stops.push(stop);
      grade.onStop?.(stop);
    }
  }
}
