import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { onInterrupt } from '../cleanup/on-interrupt.js';
import { docker, ownerLabels, postBuild } from '../engine/docker.js';
import { formatCount, formatMemory } from '../format/bytes.js';
import { packContext } from './context.js';
import type { BuildPeaks, FenceStop } from '../fence/fence.js';
import type { GradeFence } from '../fence/client.js';
import { decodeTrace } from '../engine/buildkit-trace.js';

/** One BuildKit vertex as the student sees it: `[build 3/5] RUN go build .` */
export interface BuildStep {
  digest: string;
  name: string;
  cached: boolean;
  done: boolean;
  error: string;
  /** The last lines this step printed (capped), for failure messages. */
  tail: string[];
  /** When the grader first saw BuildKit start it (ms since the epoch). */
  startedAt?: number;
}

export interface BuildRequest {
  contextDir: string;
  tag: string;
  dockerfile?: string;
  labels?: Record<string, string>;
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** The whole build must end within this. */
  timeoutMs: number;
  /** The time limit to name when the build runs out of time (the grade's, when this build has what is left of it). */
  timeoutShownMs?: number;
  /** Each step must end within this: a step still running is stopped, and named. */
  stepTimeoutMs?: number;
  /** `none` (no network at all) unless the lab needs a package index. */
  network?: 'none' | 'default';
  /** The grade's registration with the build fence: its RUN steps run under its limits. */
  fence?: GradeFence;
  /** Called whenever a step starts, finishes or fails. */
  onStep?: (step: BuildStep) => void;
  /** Bytes of build output kept for the report; the rest is dropped from the front. */
  logLimitBytes?: number;
  /**
   * Store the new layers uncompressed: for an image that is removed after the grade. The
   * containerd image store otherwise gzips every new layer as it exports the image (0.15 s
   * of lab 1's 1 s build), and the scan unpacks it again. Only the containerd store takes it.
   */
  uncompressedLayers?: boolean;
  /** The build pulls an image: it needs a BuildKit session (engine/docker.ts postBuild says why). */
  pullsImages?: boolean;
}

export interface BuildResult {
  ok: boolean;
  imageId?: string;
  /** One line: why the build failed. */
  error?: string;
  failedStep?: BuildStep;
  steps: BuildStep[];
  log: string;
  timedOut: boolean;
  /** Set when a step was stopped for a limit (memory, processes, disk, files, time). */
  stopped?: BuildStop;
  /** What the grade's steps used at their peak so far, when the fence watched them. */
  peaks?: BuildPeaks;
  /** The build had no network, and the failed step's output says it looked for one. */
  wantedNetwork?: boolean;
  durationMs: number;
}

/** Why the grader stopped a step: "it used more than 2 GiB of memory". */
export interface BuildStop {
  reason: FenceStop['reason'] | 'time';
  why: string;
  /** The machine ran short (the engine's disk), not the student's limit: could not grade. */
  machine: boolean;
}

const TAIL_LINES = 12;
const DEFAULT_LOG_LIMIT = 512 * 1024;

/** Accumulates the stream of one build: steps in order, a capped log, the image id, the error. */
export class BuildTrace {
  readonly steps = new Map<string, BuildStep>();
  imageId?: string;
  error?: string;
  private logChunks: string[] = [];
  private logBytes = 0;

  constructor(
    private readonly logLimit = DEFAULT_LOG_LIMIT,
    private readonly onStep?: (step: BuildStep) => void,
  ) {}

  get log(): string {
    return this.logChunks.join('');
  }

  /** Feed one JSON line of the /build response. */
  line(raw: string): void {
    let msg: { id?: string; aux?: unknown; stream?: string; error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (msg.id === 'moby.buildkit.trace' && typeof msg.aux === 'string') {
      this.trace(msg.aux);
    } else if (msg.id === 'moby.image.id' && msg.aux && typeof msg.aux === 'object') {
      this.imageId = (msg.aux as { ID?: string }).ID;
    } else if (msg.aux && typeof msg.aux === 'object' && 'ID' in msg.aux) {
      this.imageId = (msg.aux as { ID?: string }).ID; // the classic builder
    } else if (msg.error || msg.errorDetail) {
      this.error = (msg.errorDetail?.message ?? msg.error ?? '').trim();
      this.append(`ERROR: ${this.error}\n`);
    } else if (typeof msg.stream === 'string') {
      this.append(msg.stream);
    }
  }

  private trace(aux: string): void {
    const update = decodeTrace(aux);
    for (const v of update.vertexes) {
      const known = this.steps.get(v.digest);
      const step: BuildStep = known ?? { digest: v.digest, name: v.name, cached: false, done: false, error: '', tail: [] };
      const wasDone = step.done;
      const hadError = step.error;
      const wasStarted = step.startedAt !== undefined;
      step.cached ||= v.cached;
      step.done ||= v.completed;
      if (v.error) step.error = v.error;
      if (v.started && step.startedAt === undefined && !v.cached) step.startedAt = Date.now();
      if (!known) {
        this.steps.set(v.digest, step);
        this.append(`#${this.steps.size} ${step.name}\n`);
      }
      if (!known || wasDone !== step.done || hadError !== step.error || wasStarted !== (step.startedAt !== undefined)) {
        if (step.error) this.append(`#${this.stepNumber(step)} ERROR: ${step.error}\n`);
        else if (step.done) this.append(`#${this.stepNumber(step)} ${step.cached ? 'CACHED' : 'DONE'}\n`);
        this.onStep?.(step);
      }
    }
    for (const l of update.logs) {
      const step = this.steps.get(l.vertex);
      const lines = l.text.split('\n').filter((s) => s.trim() !== '');
      if (step) step.tail = [...step.tail, ...lines].slice(-TAIL_LINES);
      const n = step ? this.stepNumber(step) : '?';
      this.append(lines.map((s) => `#${n} ${s}\n`).join(''));
    }
  }

  private stepNumber(step: BuildStep): number {
    return [...this.steps.values()].indexOf(step) + 1;
  }

  private append(text: string): void {
    if (!text) return;
    this.logChunks.push(text);
    this.logBytes += text.length;
    while (this.logBytes > this.logLimit && this.logChunks.length > 1) {
      this.logBytes -= this.logChunks.shift()!.length;
    }
  }

  /**
   * The step that failed: the one BuildKit marked with an error, if any. When one step
   * fails, BuildKit cancels the steps running beside it (in other stages) and marks them
   * too; those are not the cause.
   */
  failedStep(): BuildStep | undefined {
    const failed = [...this.steps.values()].filter((s) => s.error);
    return failed.find((s) => !/\bcancell?ed\b/i.test(s.error)) ?? failed[0];
  }

  /**
   * The Dockerfile steps running now (a RUN, COPY or FROM; not BuildKit's own work): started,
   * not yet done or failed. BuildKit lists a build's steps before it starts them, so a step
   * merely listed is not running.
   */
  running(): BuildStep[] {
    return [...this.steps.values()].filter(
      (s) => s.startedAt !== undefined && !s.done && !s.error && s.name.startsWith('[') && !s.name.startsWith('[internal]'),
    );
  }

  /** What was running when the grader cut the build short: read before the cancel marks those steps failed. */
  private atCut?: BuildStep[];

  /** The build is being cut short now: remember what is running. */
  cut(): void {
    this.atCut ??= this.running();
  }

  /** The step to name for a build cut short: one running when it was cut (or, without a cut, now). */
  runningAtCut(): BuildStep | undefined {
    return (this.atCut ?? this.running())[0];
  }

  /**
   * The step that ran `command` (`/bin/sh -c go build .` as runc started it): BuildKit names
   * it in its error, or, when the build was cut short, in the step's own name.
   */
  stepOf(command: string): BuildStep | undefined {
    const steps = [...this.steps.values()];
    const shell = command.replace(/^\/bin\/(ba)?sh -c /, '');
    return steps.find((s) => command && s.error.includes(command)) ?? steps.find((s) => shell && s.name.includes(shell.slice(0, 60)));
  }
}

/** Split a byte stream of JSON lines, handing each complete line to `onLine`. */
function eachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line);
    });
    stream.on('end', () => {
      if (buffered.trim()) onLine(buffered);
      resolve();
    });
    stream.on('close', () => resolve());
    stream.on('error', reject);
  });
}

/** What cut a build short, if anything. */
type Cut = { kind: 'deadline' } | { kind: 'step-time'; step: BuildStep } | { kind: 'fence'; stop: FenceStop };

/** After the fence stops a step, BuildKit normally ends the build at once with its error; if not, the grader does. */
const FENCE_GRACE_MS = 3000;
/** A cancelled build's stream ends once BuildKit has stopped it; past this, the grader closes it. */
const CANCEL_GRACE_MS = 15_000;

/**
 * Ask the engine to cancel a build. Its stream then ends once BuildKit has really stopped
 * (the step's processes killed, no image tagged after the grade removed its tags), which
 * closing the request would not tell. False when the engine cannot (an old API).
 */
function cancelBuild(id: string): Promise<boolean> {
  return new Promise((resolve) =>
    docker().modem.dial(
      { path: '/build/cancel?', method: 'POST', options: { id }, statusCodes: { 200: true, 404: 'no such build', 500: 'server error' } },
      (err: unknown) => resolve(!err),
    ),
  );
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Build an image with BuildKit through the engine API (the docker CLI on PATH may lack
 * buildx), under time limits for the whole build and for each step, and — given a grade's
 * fence registration — with every RUN step under the grade's limits and the grade's marker
 * in its environment. Never throws for a build that fails: the result says why. Throws
 * only when the engine itself cannot be reached.
 */
export async function buildImage(req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  let copying = 0;
  const trace: BuildTrace = new BuildTrace(req.logLimitBytes, (step) => {
    req.onStep?.(step);
    // Steps that write without a RUN (COPY, ADD): the fence measures what they write too.
    const now = trace.running().filter((s) => NOT_RUN.test(s.name)).length;
    if (req.fence && now !== copying) req.fence.copying((copying = now));
  });
  const abort = new AbortController();
  const buildId = `stagecraft-${randomBytes(8).toString('hex')}`;
  let cut: Cut | undefined;
  const stop = (c: Cut) => {
    if (cut) return;
    cut = c;
    trace.cut(); // before the cancel marks the running steps failed
    void cancelBuild(buildId).then((cancelled) => {
      if (!cancelled) abort.abort();
      else setTimeout(() => abort.abort(), CANCEL_GRACE_MS).unref();
    });
  };
  const timers = [setTimeout(() => stop({ kind: 'deadline' }), req.timeoutMs)];
  if (req.stepTimeoutMs) {
    const limit = req.stepTimeoutMs;
    const every = setInterval(
      () => {
        const late = trace.running().find((s) => s.startedAt !== undefined && Date.now() - s.startedAt > limit);
        if (late) stop({ kind: 'step-time', step: late });
      },
      Math.min(1000, limit / 4),
    );
    timers.push(every as unknown as NodeJS.Timeout);
  }
  for (const t of timers) t.unref();
  const fence = req.fence;
  const stopsBefore = fence?.stops.length ?? 0;
  // A RUN step the fence stopped fails the build by itself; a COPY or ADD (no command) has nothing to stop but the build.
  if (fence) fence.onStop = (s) => setTimeout(() => stop({ kind: 'fence', stop: s }), s.command ? FENCE_GRACE_MS : 0).unref();

  // A grader that is stopping ends its builds first, before their context folders go: a context
  // whose folder went mid-read could stall, and the engine then waited for the rest of it.
  const released = onInterrupt(async () => {
    abort.abort();
    await cancelBuild(buildId);
  }, 'running');
  let context: Readable | undefined;
  let building = true;
  try {
    context = await packContext(req.contextDir, req.dockerfile);
    // The engine may answer (a refusal, a failed step) before it has read the whole context, whose
    // folder the grade then removes: what the context's reader meets after that is not the build's.
    context.on('error', (err: Error) => {
      if (!building) return;
      trace.error ??= `the build context could not be read (${err.message.split('\n')[0]})`;
      abort.abort();
    });
    const stream = await postBuild(
      context,
      {
        t: req.tag,
        dockerfile: req.dockerfile ?? 'Dockerfile',
        version: '2',
        labels: { ...ownerLabels(), ...req.labels },
        // BuildKit hands proxy variables to every RUN step and leaves them out of the cache
        // key: the fence finds the grade's steps by this marker; warm caches stay warm.
        buildargs: fence ? { ...req.buildArgs, no_proxy: fence.marker } : req.buildArgs,
        networkmode: req.network ?? 'default',
        buildid: buildId,
        target: req.target,
        nocache: req.noCache,
        // The engine's own exporter, told not to compress (a string: dockerode would repeat an array's items).
        ...(req.uncompressedLayers && { outputs: JSON.stringify([{ Type: 'moby', Attrs: { compression: 'uncompressed' } }]) }),
        rm: true,
        forcerm: true,
      },
      { signal: abort.signal, session: req.pullsImages },
    );
    abort.signal.addEventListener('abort', () => stream.destroy());
    await eachLine(stream, (line) => trace.line(line));
  } catch (err) {
    if (!cut) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') throw err;
      trace.error ??= (e.message ?? String(err)).split('\n')[0];
    }
  } finally {
    released();
    building = false;
    context?.destroy(); // read no further than the engine did
    for (const t of timers) clearTimeout(t);
    if (fence) fence.onStop = undefined;
    if (fence && copying) fence.copying((copying = 0));
  }

  await fence?.settle();
  return outcome(req, trace, cut, fence?.stops[stopsBefore], started);
}

/** What the build came to, from its trace and what cut it short (the fence, the step time, the deadline), as one BuildResult. */
function outcome(req: BuildRequest, trace: BuildTrace, cut: Cut | undefined, fenceStop: FenceStop | undefined, started: number): BuildResult {
  const fence = req.fence;
  const steps = [...trace.steps.values()];
  const base = { steps, log: trace.log, durationMs: Date.now() - started, peaks: fence && { ...fence.peaks } };
  if (fenceStop) {
    // The step the fence stopped, as BuildKit named it (its error quotes the command).
    const step = trace.stepOf(fenceStop.command) ?? (fenceStop.command ? trace.failedStep() : undefined) ?? trace.runningAtCut() ?? trace.failedStep();
    return {
      ...base,
      ok: false,
      timedOut: false,
      error: `${step?.name ?? 'the build'} was stopped: ${fenceStop.why}`,
      failedStep: step,
      stopped: { reason: fenceStop.reason, why: fenceStop.why, machine: fenceStop.machine },
    };
  }
  if (cut?.kind === 'step-time') {
    const why = `it ran longer than ${seconds(req.stepTimeoutMs!)}, the time one step may take`;
    return {
      ...base,
      ok: false,
      timedOut: true,
      error: `${cut.step.name} was stopped: ${why}`,
      failedStep: cut.step,
      stopped: { reason: 'time', why, machine: false },
    };
  }
  if (cut?.kind === 'deadline') {
    const running = trace.runningAtCut();
    return {
      ...base,
      ok: false,
      timedOut: true,
      error: `the build did not finish within ${seconds(req.timeoutShownMs ?? req.timeoutMs)}${running ? ` (still running: ${running.name})` : ''}`,
      failedStep: running,
    };
  }
  const ok = !trace.error && Boolean(trace.imageId);
  const failedStep = ok ? undefined : trace.failedStep();
  const strained = fence && failedStep ? strainedBy(fence, failedStep) : undefined;
  return {
    ...base,
    ok,
    imageId: trace.imageId,
    error: ok ? undefined : strained ? `${failedStep!.name} was stopped: ${strained.why}` : (trace.error ?? 'the engine returned no image'),
    failedStep,
    timedOut: false,
    stopped: strained,
    wantedNetwork: req.network === 'none' && failedStep !== undefined && NO_NETWORK.test(failedStep.tail.join('\n')),
  };
}

/** A Dockerfile step that writes a layer without running a command: `[build 2/5] COPY --from=…`. */
const NOT_RUN = /^\[[^\]]*\] (COPY|ADD) /i;

/** What apt, npm, pip, Go and curl print when there is no network to reach. */
const NO_NETWORK =
  /Temporary failure (in name )?resolv|Could not resolve|getaddrinfo (ENOTFOUND|EAI_AGAIN)|no such host|Network is unreachable|Failed to fetch|Unable to locate package|ECONNREFUSED|dial tcp/i;

/** The limit a failed step reached before it gave up by itself, if it did. */
export function strainedBy(fence: Pick<GradeFence, 'strained' | 'limits'>, step: BuildStep): BuildStop | undefined {
  const seen = fence.strained.find((s) => step.error.includes(s.command));
  if (seen) return { reason: seen.reason, why: seen.why, machine: false };
  const tail = step.tail.join('\n');
  if (FORK_REFUSED.test(tail))
    return { reason: 'pids', why: `it tried to start more than ${formatCount(fence.limits.pids)} processes and threads`, machine: false };
  if (MEMORY_REFUSED.test(tail)) return { reason: 'memory', why: `it used more than ${formatMemory(fence.limits.memoryBytes)} of memory`, machine: false };
  return undefined;
}

/**
 * What a shell, Go or the JVM print when the pids limit refuses them a process or thread: a
 * step that gives up at once ends before the fence reads its counters, so its output names
 * the limit instead.
 */
const FORK_REFUSED =
  /Cannot fork|fork: (retry: )?Resource temporarily unavailable|failed to create new OS thread|unable to create (new )?native thread|pthread_create failed/i;

/**
 * The same for memory: what coreutils, the C library, C++, Go and the JVM print when the
 * memory limit refuses them inside a system call (the step ends by itself, often between two
 * readings of its counters; a read into memory the limit refuses fails with "Bad address").
 * Not a language's own heap limit (Node's "heap out of memory").
 */
const MEMORY_REFUSED =
  /memory exhausted|Cannot allocate memory|error reading .*: Bad address|std::bad_alloc|runtime: out of memory|java\.lang\.OutOfMemoryError/i;
