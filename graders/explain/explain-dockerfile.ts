import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildResult } from '../buildkit/build.js';
import { GradeBuilds } from '../buildkit/grade-builds.js';
import { instructionOfStep } from '../buildkit/steps.js';
import { onInterrupt } from '../cleanup/on-interrupt.js';
import { removeImage, requireEngine } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { oneLine } from '../format/text.js';
import { describe, parseDockerfile, type DockerInstruction, type ParsedDockerfile } from '../lint/dockerfile.js';
import { MACHINE_POLICY, vet, vetBytes } from '../lint/policy.js';
import { ensureBaseImages } from '../pipeline/base-images.js';
import { withoutUnavailableSyntax } from '../pipeline/syntax.js';
import type { GradeLimits } from '../pipeline/limits.js';
import { silentProgress, type Progress } from '../pipeline/progress.js';
import { stageContext } from './build-context.js';
import type { BuildOutcome } from './explanation.js';
import { explainImage, type Explained } from './explain-image.js';
import { shownPath } from '../format/path.js';

export interface DockerfileRequest {
  dockerfile: string;
  /** The build context; the Dockerfile's folder when not given. */
  context?: string;
  /** The build's limits, as a grade's (the defaults where not given; run limits do not apply). */
  limits?: GradeLimits;
  progress?: Progress;
}

async function isA(kind: 'file' | 'folder', p: string): Promise<boolean> {
  const s = await stat(p).catch(() => undefined);
  return Boolean(s && (kind === 'file' ? s.isFile() : s.isDirectory()));
}

/**
 * The Dockerfile cut just before the instruction that failed: its stage becomes the last
 * one, built as far as it got. Every step before the failing one is in BuildKit's cache,
 * so this second build takes a moment. Undefined when the FROM itself failed.
 */
export function cutBefore(text: string, failing: DockerInstruction): string | undefined {
  if (failing.keyword === 'FROM') return undefined;
  return `${text
    .split('\n')
    .slice(0, failing.line - 1)
    .join('\n')}\n`;
}

/** The last line the cut Dockerfile builds: its final stage's last instruction, or its FROM. */
const lastLine = (df: ParsedDockerfile) => (df.final.instructions.at(-1) ?? df.final.from).line;

/**
 * Build a Dockerfile as a grade builds (the same build session: its limits, the policy's
 * machine rules, the build-cache ledger; a network, as on the student's own machine) and
 * explain the image. A build that fails is explained as far as it got: the Dockerfile up to
 * the failing instruction is built again (from the cache) and that image is explained, saying so.
 */
export async function explainDockerfile(req: DockerfileRequest): Promise<Explained> {
  const started = Date.now();
  const progress = req.progress ?? silentProgress;
  const file = path.resolve(req.dockerfile);
  const contextDir = path.resolve(req.context ?? path.dirname(file));
  if (!(await isA('file', file))) throw new CannotGrade(`no Dockerfile at ${shownPath(file)}`);
  if (!(await isA('folder', contextDir))) throw new CannotGrade(`no build context folder at ${shownPath(contextDir)}`);
  const bytes = await readFile(file);
  const early = vetBytes(bytes);
  if (early) throw new CannotGrade(`${shownPath(file)} is not built: ${early.message}`);
  const lint = parseDockerfile(bytes);
  if (!lint.ok) throw new CannotGrade(`${shownPath(file)} cannot be built: ${lint.problem.message}`);
  const df = lint.dockerfile;
  const refusal = vet(df, { buildNetwork: true }, MACHINE_POLICY);
  if (refusal) throw new CannotGrade(`${shownPath(file)} is not built: ${refusal.message}`);
  await requireEngine();
  const { buildPulls } = await ensureBaseImages(df, (line) => progress.log(line));

  progress.stage('preparing the build context');
  const context = await stageContext(contextDir, bytes);
  const tag = `stagecraft-grade/explain:${randomBytes(6).toString('hex')}`;
  const removeImages = async () => {
    for (const t of [tag, `${tag}-partial`]) await removeImage(t).catch(() => undefined);
  };
  const release = onInterrupt(removeImages, 'image');
  const notes: string[] = [];
  const builds = new GradeBuilds({ ...req.limits, network: 'default', throwaway: true, onStep: (s) => progress.step(s) });
  if (buildPulls) builds.pullImages();
  const build = (t: string): Promise<BuildResult> => builds.build(context.dir, t);
  const shown = { dockerfile: shownPath(file), context: shownPath(contextDir) };
  try {
    const unlimited = await builds.open();
    if (unlimited) notes.push(unlimited);
    const syntax = await withoutUnavailableSyntax(context.dir, df.syntax);
    if (syntax) notes.push(syntax);
    progress.stage('building the image with BuildKit');
    const built = await build(tag);
    if (built.ok && built.imageId) {
      const outcome: BuildOutcome = { ...shown, ok: true, durationMs: built.durationMs };
      return await explainImage(built.imageId, { ref: shown.dockerfile, df, build: outcome, notes, progress, started });
    }

    const failing = built.failedStep ? instructionOfStep(built.failedStep, df) : undefined;
    const error = oneLine(built.error ?? 'the engine returned no image');
    const outcome: BuildOutcome = { ...shown, ok: false, error, failedLine: failing?.line, durationMs: built.durationMs };
    const at = failing ? ` at line ${failing.line} (\`${oneLine(describe(failing))}\`)` : '';
    const cut = failing && !built.timedOut ? cutBefore(bytes.toString('utf8'), failing) : undefined;
    const partial = cut ? parseDockerfile(cut) : undefined;
    if (!cut || !partial?.ok) throw new CannotGrade(`the build failed${at}: ${error}; nothing was built before it to explain`);
    progress.stage(`the build failed${at}; building what came before it, to explain the image as far as it got`);
    await writeFile(path.join(context.dir, 'Dockerfile'), cut);
    const before = await build(`${tag}-partial`);
    if (!before.ok || !before.imageId) throw new CannotGrade(`the build failed${at}: ${error}`);
    outcome.explainedUpTo = lastLine(partial.dockerfile);
    notes.push(`the build failed${at}: ${error}; explained: the image as far as the build got, up to line ${outcome.explainedUpTo}`);
    return await explainImage(before.imageId, { ref: shown.dockerfile, df: partial.dockerfile, build: outcome, notes, progress, started });
  } finally {
    progress.done();
    await removeImages();
    await context.remove();
    await builds.close();
    release();
  }
}
