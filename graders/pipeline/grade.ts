import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildImage, type BuildResult } from '../build/build.js';
import { CacheOwner, openWindow, settleBuildCache } from '../build/cache.js';
import { buildFence, DEFAULT_BUILD_LIMITS, unlimitedLine, type BuildLimits, type GradeFence } from '../build/fence/index.js';
import type { Evidence } from '../checks/types.js';
import { onInterrupt } from '../cleanup/on-interrupt.js';
import { docker, engineAnswers, removeImage, requireEngine } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { inspectImage } from '../inspect/image.js';
import { labDir, REPO_ROOT, solutionDir, type LabDefinition } from '../lab.js';
import type { ParsedDockerfile } from '../lint/dockerfile.js';
import { parseDockerfile } from '../lint/dockerfile.js';
import { vet } from '../lint/policy.js';
import { labContextRequest, prepareContext, type PreparedContext } from '../prepare/context.js';
import { silentProgress, type Progress } from '../report/progress.js';
import { DEFAULT_LIMITS, runAndProbe, type RunLimits } from '../run/container.js';
import { ensureBaseImages } from './base-images.js';
import { evaluateChecks } from './evaluate.js';
import { starterSize } from './reference.js';
import type { GradeResult } from './result.js';
import { withoutUnavailableSyntax } from './syntax.js';

export interface GradeOptions {
  /** The Dockerfile under test: the lab's own (default), the reference solution, or a path. */
  dockerfile?: { kind: 'lab' } | { kind: 'solution' } | { kind: 'path'; path: string };
  /** All of the grade's builds (the build, and the rebuild of cache-friendly) together. */
  buildTimeoutMs?: number;
  /** One build step. */
  stepTimeoutMs?: number;
  /** What the grade's RUN steps may use (build/fence/limits.ts). */
  buildLimits?: Partial<BuildLimits>;
  limits?: Partial<RunLimits>;
  /** Images larger than this fail `size` from their metadata and are not scanned. */
  scanLimitBytes?: number;
  keepImage?: boolean;
  progress?: Progress;
}

export const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_SCAN_LIMIT_BYTES = 4_000_000_000;

type Stage = keyof GradeResult['timings'];

/** What one grade is working with, handed from stage to stage. */
interface Grading {
  lab: LabDefinition;
  opts: GradeOptions;
  progress: Progress;
  context: PreparedContext;
  dockerfile: ParsedDockerfile;
  tag: string;
  evidence: Evidence;
  notes: string[];
  timings: GradeResult['timings'];
  /** The grade's registration with the build fence, when limits can be applied here. */
  fence?: GradeFence;
  /** When the grade's builds must be over, all of them together. */
  buildDeadline?: number;
  /** When the grade's builds ran: what they left in the build cache is found by it. */
  cache: CacheOwner;
}

function resolveDockerfile(lab: LabDefinition, choice: GradeOptions['dockerfile']): { file: string; dockerignore?: string } {
  if (!choice || choice.kind === 'lab') return { file: path.join(labDir(lab), 'Dockerfile') };
  if (choice.kind === 'solution') return { file: path.join(solutionDir(lab), 'Dockerfile'), dockerignore: path.join(solutionDir(lab), '.dockerignore') };
  const file = path.resolve(choice.path);
  // BuildKit's convention: `app.Dockerfile` may come with its own `app.Dockerfile.dockerignore`.
  return { file, dockerignore: `${file}.dockerignore` };
}

/**
 * Give the graded image a name a student can type (`stagecraft/<lab>`, replacing the one
 * an earlier --keep-image made) and say how to explore it. The grade's own tag goes, so a
 * later sweep of dead graders' images never takes the kept one.
 */
async function keepImage(lab: LabDefinition, tag: string): Promise<string> {
  const name = `stagecraft/${lab.id}`;
  try {
    await docker().getImage(tag).tag({ repo: name, tag: 'latest' });
  } catch (err) {
    return `the image could not be kept as ${name}: ${(err as Error).message.split('\n')[0]}`;
  }
  const port = lab.checks.find((c) => c.run)?.run?.port;
  const run = port ? `docker run --rm -p ${port}:${port} ${name}` : `docker run --rm ${name}`;
  return `the image is kept as ${name}: try \`${run}\` or \`docker history ${name}\``;
}

/** Time a stage; the engine going away mid-stage is "could not grade", never a student's failure. */
async function stage<T>(g: Grading, name: Stage, what: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await work();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE') {
      throw new CannotGrade(`the Docker engine stopped answering while ${what}; start it again and re-run the grade`);
    }
    throw err;
  } finally {
    g.timings[name] = (g.timings[name] ?? 0) + Date.now() - t0;
  }
}

async function build(g: Grading, tag: string): Promise<BuildResult> {
  const budget = g.opts.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
  g.buildDeadline ??= Date.now() + budget;
  const closeWindow = openWindow(g.cache);
  const built = await buildImage({
    contextDir: g.context.dir,
    tag,
    timeoutMs: Math.max(1000, g.buildDeadline - Date.now()),
    timeoutShownMs: budget,
    // By default a step may take all of the grade's build time: an honest cold step takes
    // about a minute, but five at once on a busy 2-core machine took over 300 s each.
    stepTimeoutMs: g.opts.stepTimeoutMs ?? budget,
    network: g.lab.buildNetwork ? 'default' : 'none',
    fence: g.fence,
    onStep: (s) => g.progress.step(s),
  }).finally(closeWindow);
  // The engine's disk ran short: the grader's problem, not the student's.
  if (built.stopped?.machine) throw new CannotGrade(`the build was stopped: ${built.stopped.why}; free some space and grade again`);
  return built;
}

/** Register the grade with the build fence (probed once per process), or note why there are no limits. */
async function fenceGrade(g: Grading): Promise<void> {
  const fence = await buildFence();
  if ('reason' in fence) g.notes.push(unlimitedLine(fence.reason));
  else g.fence = fence.fence.register({ ...DEFAULT_BUILD_LIMITS, ...g.opts.buildLimits });
}

/** A comment line in the touched file's language, so the edit changes nothing but the bytes. */
function commentLine(file: string): string {
  const hash = /\.(py|rb|sh|toml|ya?ml|txt)$|(^|\/)(Makefile|Dockerfile)$/.test(file);
  return `\n${hash ? '#' : '//'} edited by stagecraft to test the build cache ${Date.now()}\n`;
}

async function buildInspectRun(g: Grading): Promise<void> {
  await stage(g, 'prepare', 'looking for the base images', () => ensureBaseImages(g.dockerfile, (line) => g.progress.log(line)));
  const syntaxNote = await stage(g, 'prepare', 'looking for the syntax image', () => withoutUnavailableSyntax(g.context.dir, g.dockerfile.syntax));
  if (syntaxNote) g.notes.push(syntaxNote);

  await stage(g, 'prepare', 'probing the build limits', () => fenceGrade(g));
  g.progress.stage('building the image with BuildKit');
  const built = await stage(g, 'build', 'building', () => build(g, g.tag));
  g.evidence.build = built;
  if (!built.ok || !built.imageId) return;

  g.progress.stage('inspecting the image and its layers');
  const needsLayers = g.lab.checks.some((c) => c.needs.includes('layers'));
  const scanLimit = needsLayers ? (g.opts.scanLimitBytes ?? DEFAULT_SCAN_LIMIT_BYTES) : 0;
  const image = await stage(g, 'inspect', 'inspecting the image', () => inspectImage(built.imageId!, g.dockerfile, scanLimit));
  g.evidence.image = image;
  if (image.scanMs !== undefined) g.timings.scan = image.scanMs;
  if (image.standInBases.length) {
    g.notes.push(`sizes were measured against stand-in base images built from Debian packages: ${image.standInBases.join(', ')}`);
  }

  const plan = g.lab.checks.find((c) => c.run)?.run;
  if (plan) {
    g.progress.stage('running the container and probing it');
    g.evidence.run = await stage(g, 'run', 'running the container', () =>
      runAndProbe({
        image: built.imageId!,
        port: plan.port,
        readyPath: plan.readyPath,
        probes: plan.probes.map((make) => make({ nonce: g.context.nonce })),
        limits: { ...DEFAULT_LIMITS, ...g.opts.limits },
      }),
    );
  }

  const rebuild = g.lab.checks.find((c) => c.rebuild)?.rebuild;
  if (rebuild) {
    g.progress.stage(`editing ${rebuild.touch} and rebuilding, to see what the cache reuses`);
    await appendFile(path.join(g.context.dir, rebuild.touch), commentLine(rebuild.touch));
    const again = await stage(g, 'rebuild', 'rebuilding', () => build(g, `${g.tag}-rebuild`));
    g.evidence.rebuild = { touched: rebuild.touch, build: again };
  }
}

/**
 * Grade one Dockerfile for one lab: prepare → lint → build → inspect → run (→ rebuild) →
 * evaluate. Returns the result; throws CannotGrade only when no verdict is possible.
 */
export async function grade(lab: LabDefinition, opts: GradeOptions = {}): Promise<GradeResult> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  const { file, dockerignore } = resolveDockerfile(lab, opts.dockerfile);
  // Fail fast, before any progress output, on what makes grading impossible.
  if (!existsSync(file)) throw new CannotGrade(`no Dockerfile at ${path.relative(process.cwd(), file) || file}`);
  await requireEngine();
  void buildFence(); // the probe (once per process, about a second) runs while the context is prepared

  progress.stage('preparing the build context');
  const context = await prepareContext(labContextRequest(lab, file, dockerignore && existsSync(dockerignore) ? dockerignore : undefined));
  const tag = `stagecraft-grade/${lab.id}:${randomBytes(6).toString('hex')}`;
  const removeImages = async () => {
    for (const t of [tag, `${tag}-rebuild`]) await removeImage(t).catch(() => undefined);
  };
  const release = onInterrupt(removeImages); // the context folder registered its own removal

  const lint = parseDockerfile(context.dockerfileBytes);
  const refusal = lint.ok ? vet(lint.dockerfile) : undefined;
  const evidence: Evidence = { lint, refusal, reference: { starterSize: await starterSize(lab.id) } };
  const g: Grading | undefined = lint.ok
    ? { lab, opts, progress, context, dockerfile: lint.dockerfile, tag, evidence, notes: [], timings: { prepare: Date.now() - started }, cache: new CacheOwner() }
    : undefined;
  try {
    if (g && !refusal) await buildInspectRun(g);
  } finally {
    if (g?.fence) {
      const fence = await buildFence();
      if ('fence' in fence) await fence.fence.release(g.fence);
      if (g.fence.failure) g.notes.push(unlimitedLine(g.fence.failure));
    }
    progress.done();
    if (opts.keepImage && g && evidence.image) g.notes.push(await keepImage(lab, tag));
    await removeImages();
    if (g?.cache.windows.length) {
      const f = g.fence;
      await settleBuildCache(g.cache, f && { bytes: f.peaks.diskBytes, files: f.peaks.files, stoppedForDisk: f.stops.some((s) => s.reason === 'disk' || s.reason === 'files') });
    }
    await context.remove();
    release();
  }

  const checks = evaluateChecks(lab.checks, evidence);
  const score = checks.filter((c) => c.passed).length;
  // A build cut off or a container lost because the engine went away looks like a failed
  // check from here; it is the grader's failure, never the student's.
  if (g && score < checks.length && !(await engineAnswers())) {
    throw new CannotGrade('the Docker engine stopped answering during the grade; start it again and re-run the grade');
  }
  const shown = path.relative(REPO_ROOT, file);
  return {
    lab: lab.id,
    dockerfile: shown.startsWith('..') ? file : shown,
    passed: score === checks.length,
    score,
    maxScore: checks.length,
    image: evidence.image ? { size: evidence.image.size, standInBases: evidence.image.standInBases } : null,
    checks,
    notes: g?.notes ?? [],
    durationMs: Date.now() - started,
    timings: g?.timings ?? { prepare: Date.now() - started },
  };
}
