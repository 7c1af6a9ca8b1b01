import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildImage, type BuildResult } from '../build/build.js';
import type { Evidence } from '../checks/types.js';
import { imageExists, removeImage, requireEngine } from '../engine/docker.js';
import { onInterrupt } from '../engine/cleanup.js';
import { CannotGrade } from '../engine/errors.js';
import { inspectImage, type ImageFacts } from '../inspect/image.js';
import { labDir, REPO_ROOT, solutionDir, type LabDefinition } from '../lab.js';
import { parseDockerfile } from '../lint/dockerfile.js';
import { prepareContext } from '../prepare/context.js';
import { silentProgress, type Progress } from '../report/progress.js';
import { DEFAULT_LIMITS, runAndProbe, type RunLimits, type RunResult } from '../run/container.js';
import { evaluateChecks } from './evaluate.js';
import { starterSize } from './reference.js';
import type { GradeResult } from './result.js';
import { withoutUnavailableSyntax } from './syntax.js';
import { ensureBaseImages } from './base-images.js';

export interface GradeOptions {
  /** The Dockerfile under test: the lab's own (default), the reference solution, or a path. */
  dockerfile?: { kind: 'lab' } | { kind: 'solution' } | { kind: 'path'; path: string };
  buildTimeoutMs?: number;
  limits?: Partial<RunLimits>;
  /** Images larger than this fail `size` from their metadata and are not scanned. */
  scanLimitBytes?: number;
  keepImage?: boolean;
  progress?: Progress;
}

export const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_SCAN_LIMIT_BYTES = 4_000_000_000;

function resolveDockerfile(lab: LabDefinition, choice: GradeOptions['dockerfile']): { file: string; dockerignore?: string } {
  if (!choice || choice.kind === 'lab') return { file: path.join(labDir(lab), 'Dockerfile') };
  if (choice.kind === 'solution') {
    const dir = solutionDir(lab);
    const ignore = path.join(dir, '.dockerignore');
    return { file: path.join(dir, 'Dockerfile'), dockerignore: ignore };
  }
  const file = path.resolve(choice.path);
  // BuildKit's convention: `app.Dockerfile` may come with its own `app.Dockerfile.dockerignore`.
  return { file, dockerignore: `${file}.dockerignore` };
}

/** The engine going away mid-grade is "could not grade", never a student's failure. */
async function engineStillThere<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE') {
      throw new CannotGrade(`the Docker engine stopped answering while ${what}; start it again and re-run the grade`);
    }
    throw err;
  }
}

/**
 * Grade one Dockerfile for one lab: prepare → lint → build → inspect → run → evaluate.
 * Returns the result; throws CannotGrade only when no verdict is possible.
 */
export async function grade(lab: LabDefinition, opts: GradeOptions = {}): Promise<GradeResult> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  const { file, dockerignore } = resolveDockerfile(lab, opts.dockerfile);
  // Fail fast, before any progress output, on what makes grading impossible.
  if (!existsSync(file)) throw new CannotGrade(`no Dockerfile at ${path.relative(process.cwd(), file) || file}`);
  await requireEngine();
  progress.stage('preparing the build context');
  const context = await prepareContext({
    labDir: labDir(lab),
    dockerfile: file,
    dockerignore: dockerignore && existsSync(dockerignore) ? dockerignore : undefined,
    stampFile: lab.stampFile,
  });

  const tag = `stagecraft-grade/${lab.id}:${randomBytes(6).toString('hex')}`;
  const release = onInterrupt(async () => {
    await removeImage(tag);
    await context.remove();
  });
  const notes: string[] = [];
  const timings: GradeResult['timings'] = { prepare: Date.now() - started };
  const timed = async <T>(stage: 'build' | 'inspect' | 'run', work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      timings[stage] = Date.now() - t0;
    }
  };
  try {
    const lint = parseDockerfile(context.dockerfileBytes);
    const evidence: Evidence = { lint, reference: { starterSize: await starterSize(lab.id) } };
    if (lint.ok) {
      await ensureBaseImages(lint.dockerfile, (line) => progress.log(line));
      const syntaxNote = await withoutUnavailableSyntax(context.dir, lint.dockerfile.syntax);
      if (syntaxNote) notes.push(syntaxNote);
      progress.stage('building the image with BuildKit');
      const build: BuildResult = await timed('build', () => engineStillThere('building', () =>
        buildImage({
          contextDir: context.dir,
          tag,
          timeoutMs: opts.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
          onStep: (s) => progress.step(s),
        }),
      ));
      evidence.build = build;
      if (build.ok && build.imageId) {
        progress.stage('inspecting the image and its layers');
        const needsLayers = lab.checks.some((c) => c.needs.includes('layers'));
        const image: ImageFacts = await timed('inspect', () => engineStillThere('inspecting the image', () =>
          inspectImage(build.imageId!, lint.dockerfile, needsLayers ? (opts.scanLimitBytes ?? DEFAULT_SCAN_LIMIT_BYTES) : 0),
        ));
        if (image.scanMs !== undefined) timings.scan = image.scanMs;
        evidence.image = image;
        if (image.standInBases.length) {
          notes.push(`sizes were measured against stand-in base images built from Debian packages: ${image.standInBases.join(', ')}`);
        }
        const plan = lab.checks.find((c) => c.run)?.run;
        if (plan) {
          progress.stage('running the container and probing it');
          const run: RunResult = await timed('run', () => engineStillThere('running the container', () =>
            runAndProbe({
              image: build.imageId!,
              port: plan.port,
              readyPath: plan.readyPath,
              probes: plan.probes.map((make) => make({ nonce: context.nonce })),
              limits: { ...DEFAULT_LIMITS, ...opts.limits },
            }),
          ));
          evidence.run = run;
        }
      }
    }
    progress.done();
    const checks = evaluateChecks(lab.checks, evidence);
    const score = checks.filter((c) => c.passed).length;
    return {
      lab: lab.id,
      dockerfile: path.relative(REPO_ROOT, file).startsWith('..') ? file : path.relative(REPO_ROOT, file),
      passed: score === checks.length,
      score,
      maxScore: checks.length,
      image: evidence.image ? { size: evidence.image.size, standInBases: evidence.image.standInBases } : null,
      checks,
      notes,
      durationMs: Date.now() - started,
      timings,
    };
  } finally {
    progress.done();
    if (!opts.keepImage && (await imageExists(tag).catch(() => false))) await removeImage(tag).catch(() => undefined);
    await context.remove();
    release();
  }
}
