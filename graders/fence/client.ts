import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SharedCeiling } from './ceiling.js';
import { newMarker, type BuildPeaks, type FenceSite, type FenceStop } from './fence.js';
import type { BuildLimits } from './limits.js';
import type { FromWatcher, GradeState, ToWatcher, WatcherData } from './watcher.js';
import { firstLine } from '../format/text.js';

/**
 * The grading side of the build fence. The watcher itself runs in a worker thread
 * (watcher.ts), so a frozen grading loop cannot leave a step unfenced; this mirrors each
 * grade's part of it: the marker its builds carry, its limits, and — as the worker reports
 * them — the steps stopped and the figures.
 */
export class GradeFence {
  readonly marker = newMarker();
  stops: FenceStop[] = [];
  strained: FenceStop[] = [];
  peaks: BuildPeaks = { memoryBytes: 0, anonBytes: 0, pids: 0, cpuSeconds: 0, diskBytes: 0, files: 0, steps: 0 };
  /** A step's limits, or the parent's ceiling, could not be written: the one line to show. */
  failure?: string;
  /** Called when the fence stops one of this grade's steps (or the whole build). */
  onStop?: (stop: FenceStop) => void;

  constructor(
    readonly limits: BuildLimits,
    private readonly client: FenceClient,
    readonly id: number,
  ) {}

  /** The grade's builds are over: released by the watcher it registered with (never another one started since). */
  release(): Promise<void> {
    return this.client.release(this);
  }

  /** Bring the figures up to date, the grade's ended steps accounted for. */
  settle(): Promise<void> {
    return this.client.ask({ t: 'settle', id: this.id, seq: 0 });
  }

  /** How many of the grade's steps that are not RUN (COPY, ADD) are running now: the watcher measures what they write. */
  copying(active: number): void {
    this.client.send({ t: 'copying', id: this.id, active });
  }

  update(s: GradeState): void {
    const before = this.stops.length;
    Object.assign(this, { stops: s.stops, strained: s.strained, peaks: s.peaks, failure: s.failure });
    for (const stop of this.stops.slice(before)) this.onStop?.(stop);
  }
}

/** Start the watcher: compiled JavaScript beside this file, or, running from the sources, the TypeScript through tsx. */
function startWorker(data: WatcherData): Worker {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new Worker(new URL('./watcher.js', import.meta.url), { workerData: data });
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = pathToFileURL(path.join(path.dirname(here), 'watcher.ts')).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: data });
}

/** The build fence of this process: one watcher thread, shared by every grade. */
export class FenceClient {
  private readonly worker: Worker;
  private readonly grades = new Map<number, GradeFence>();
  private readonly waiting = new Map<number, () => void>();
  private nextId = 1;
  private nextSeq = 1;
  private live = 0;
  /** Why the watcher is gone, once it is. */
  private failed?: string;

  constructor(
    readonly site: FenceSite,
    /** The parent's ceiling, or why it cannot be held here. */
    readonly ceiling: { root?: string } | { reason: string },
  ) {
    const withCeiling = !('reason' in ceiling);
    this.worker = startWorker({ site, options: {}, ceiling: withCeiling, ceilingRoot: withCeiling ? ceiling.root : undefined });
    this.worker.on('message', (m: FromWatcher) => {
      this.grades.get(m.id)?.update(m.state);
      if (m.t === 'state') this.waiting.get(m.seq)?.();
    });
    // A watcher that fails leaves no grade waiting, and none graded as if it had been fenced.
    const lost = (why: string) => {
      this.failed = why;
      for (const g of this.grades.values()) g.failure ??= why;
      for (const done of [...this.waiting.values()]) done();
    };
    this.worker.on('error', (err) => lost(`the build fence's watcher failed (${firstLine(err)})`));
    this.worker.on('exit', () => lost("the build fence's watcher stopped"));
    // After the listeners: adding a 'message' listener refs the worker again. Idle, it keeps no process alive.
    this.worker.unref();
    if (withCeiling) {
      // A grader that ends with grades still registered (an error, Ctrl-C) gives its share of
      // the ceiling back; the last one out restores the parent's earlier limits.
      const shared = new SharedCeiling(site.parent, ceiling.root);
      process.once('exit', () => this.live > 0 && shared.releaseOnExit());
    }
  }

  send(m: ToWatcher): void {
    this.worker.postMessage(m);
  }

  /** A message the watcher answers with the grade's state. */
  ask(m: Extract<ToWatcher, { seq: number }>): Promise<void> {
    if (this.failed) return Promise.resolve();
    const seq = this.nextSeq++;
    return new Promise((resolve) => {
      this.waiting.set(seq, () => {
        this.waiting.delete(seq);
        resolve();
      });
      this.send({ ...m, seq });
    });
  }

  /** Fence a grade's builds from now until `release`: resolves once the watcher watches for its steps, under the ceiling. */
  async register(limits: BuildLimits): Promise<GradeFence> {
    const grade = new GradeFence(limits, this, this.nextId++);
    this.grades.set(grade.id, grade);
    if (this.failed) grade.failure = this.failed;
    if (this.live++ === 0) this.worker.ref(); // the watcher keeps the process alive while grades build
    await this.ask({ t: 'register', id: grade.id, marker: grade.marker, limits, seq: 0 });
    return grade;
  }

  /** The grade's builds are over: its last steps accounted, its share of the ceiling given back. */
  async release(grade: GradeFence): Promise<void> {
    await this.ask({ t: 'release', id: grade.id, seq: 0 });
    this.grades.delete(grade.id);
    if (--this.live === 0) this.worker.unref();
  }
}
