import type { Readable } from 'node:stream';
import { docker, ownerLabels } from '../engine/docker.js';
import { packContext } from './context.js';
import { decodeTrace } from './trace.js';

/** One BuildKit vertex as the student sees it: `[build 3/5] RUN go build .` */
export interface BuildStep {
  digest: string;
  name: string;
  cached: boolean;
  done: boolean;
  error: string;
  /** The last lines this step printed (capped), for failure messages. */
  tail: string[];
}

export interface BuildRequest {
  contextDir: string;
  tag: string;
  dockerfile?: string;
  labels?: Record<string, string>;
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  timeoutMs: number;
  /** Called whenever a step starts, finishes or fails. */
  onStep?: (step: BuildStep) => void;
  /** Bytes of build output kept for the report; the rest is dropped from the front. */
  logLimitBytes?: number;
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
  durationMs: number;
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
      step.cached ||= v.cached;
      step.done ||= v.completed;
      if (v.error) step.error = v.error;
      if (!known) {
        this.steps.set(v.digest, step);
        this.append(`#${this.steps.size} ${step.name}\n`);
      }
      if (!known || wasDone !== step.done || hadError !== step.error) {
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

/**
 * Build an image with BuildKit through the engine API (the docker CLI on PATH may lack
 * buildx), under a time limit. Never throws for a build that fails: the result says why.
 * Throws only when the engine itself cannot be reached.
 */
export async function buildImage(req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  const trace = new BuildTrace(req.logLimitBytes, req.onStep);
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, req.timeoutMs);
  timer.unref();

  try {
    const context = await packContext(req.contextDir, req.dockerfile);
    const stream = (await docker().buildImage(context, {
      t: req.tag,
      dockerfile: req.dockerfile ?? 'Dockerfile',
      version: '2',
      labels: { ...ownerLabels(), ...req.labels },
      buildargs: req.buildArgs,
      target: req.target,
      nocache: req.noCache,
      rm: true,
      forcerm: true,
      abortSignal: abort.signal,
    } as Parameters<ReturnType<typeof docker>['buildImage']>[1])) as unknown as Readable;
    abort.signal.addEventListener('abort', () => stream.destroy());
    await eachLine(stream, (line) => trace.line(line));
  } catch (err) {
    if (!timedOut) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') throw err;
      trace.error ??= (e.message ?? String(err)).split('\n')[0];
    }
  } finally {
    clearTimeout(timer);
  }

  const steps = [...trace.steps.values()];
  const durationMs = Date.now() - started;
  if (timedOut) {
    const running = steps.find((s) => !s.done && !s.error);
    return {
      ok: false,
      timedOut: true,
      error: `the build did not finish within ${Math.round(req.timeoutMs / 1000)} s${running ? ` (still running: ${running.name})` : ''}`,
      failedStep: running,
      steps,
      log: trace.log,
      durationMs,
    };
  }
  const ok = !trace.error && Boolean(trace.imageId);
  return {
    ok,
    imageId: trace.imageId,
    error: ok ? undefined : (trace.error ?? 'the engine returned no image'),
    failedStep: ok ? undefined : trace.failedStep(),
    steps,
    log: trace.log,
    timedOut: false,
    durationMs,
  };
}
