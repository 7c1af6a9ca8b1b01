import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../build/build.js';
import { buildFence, type BuildLimits } from '../build/fence/index.js';
import { GradeBuilds } from '../build/grade-builds.js';
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
  /** The grade's builds: their limits, time budget and build cache. */
  builds: GradeBuilds;
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

function build(g: Grading, tag: string): Promise<BuildResult> {
  return g.builds.build(g.context.dir, tag);
}

function gradeBuilds(lab: LabDefinition, opts: GradeOptions, progress: Progress): GradeBuilds {
  return new GradeBuilds({
    timeoutMs: opts.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
    stepTimeoutMs: opts.stepTimeoutMs,
    limits: opts.buildLimits,
    network: lab.buildNetwork ? 'default' : 'none',
    onStep: (s) => progress.step(s),
  });
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

  const unlimited = await stage(g, 'prepare', 'probing the build limits', () => g.builds.open());
  if (unlimited) g.notes.push(unlimited);
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
    ? { lab, opts, progress, context, dockerfile: lint.dockerfile, tag, evidence, notes: [], timings: { prepare: Date.now() - started }, builds: gradeBuilds(lab, opts, progress) }
    : undefined;
  try {
    if (g && !refusal) await buildInspectRun(g);
  } finally {
    progress.done();
    if (opts.keepImage && g && evidence.image) g.notes.push(await keepImage(lab, tag));
    await removeImages();
    if (g) g.notes.push(...(await g.builds.close()));
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
