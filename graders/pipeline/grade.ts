import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../buildkit/build.js';
import { GradeBuilds } from '../buildkit/grade-builds.js';
import { buildFence } from '../fence/index.js';
import type { Evidence } from '../checks/types.js';
import type { HandedOff } from '../cleanup/hand-off.js';
import { onInterrupt, stoppingBecause } from '../cleanup/on-interrupt.js';
import { docker, engineAnswers, removeImage, requireEngine, usesContainerdStore } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { inspectImage } from '../inspect/image.js';
import { ScanThread } from '../inspect/scan-thread.js';
import type { ScanBudget } from '../inspect/layers.js';
import { REPO_ROOT } from '../kit/locations.js';
import { runPlan } from '../run/app.js';
import { DEFAULT_RUN_LIMITS } from '../run/limits.js';
import { labDir, solutionDir, type LabDefinition } from '../lab.js';
import type { ParsedDockerfile } from '../lint/dockerfile.js';
import { parseDockerfile, type ParseResult } from '../lint/dockerfile.js';
import { vet, vetBytes } from '../lint/policy.js';
import { cacheNamespace, isolateContextCacheMounts } from '../prepare/cache-mounts.js';
import { labContextRequest, prepareContext, readDockerfile, type PreparedContext } from '../prepare/context.js';
import { silentProgress, type Progress } from './progress.js';
import { hashSpec } from '../findings/index.js';
import { imagesNotHere, provideBaseImages } from './base-images.js';
import { cacheSeed, seedHere } from './cache-seed.js';
import { knownContent } from './known-content.js';
import type { GradeLimits } from './limits.js';
import { evaluateChecks } from './evaluate.js';
import { starterSize } from './reference.js';
import type { GradeResult } from './result.js';
import { requireFrontendFeatures, withoutUnavailableSyntax } from './syntax.js';
import { shownPath } from '../format/path.js';
import { firstLine } from '../format/text.js';

export interface GradeOptions extends GradeLimits {
  /** The Dockerfile under test: the lab's own (default), the reference solution, or a path. */
  dockerfile?: { kind: 'lab' } | { kind: 'solution' } | { kind: 'path'; path: string };
  /** Images larger than this fail `size` from their metadata and are not scanned. */
  scanLimitBytes?: number;
  /** Whose BuildKit cache mounts this build sees (a batch: the student); default: this lab and Dockerfile's. */
  cacheNamespace?: string;
  /** Images allowed beyond the catalogue and the online images (`--allow-image`). */
  allowImages?: string[];
  /** The layer scan's limits (files, path bytes, archives); a scan over them fails the layer checks. */
  scanBudget?: Partial<ScanBudget>;
  keepImage?: boolean;
  progress?: Progress;
  /** Handed what the stages found, once the checks are evaluated (`grade --html` draws its page from it). */
  onEvidence?: (evidence: Evidence) => void;
  /**
   * Handed the result as soon as it is known, before the grade's images, folder and build
   * session are cleaned up (grade() resolves after): a report printed here is not kept
   * waiting by the clean-up.
   */
  onVerdict?: (result: GradeResult) => void | Promise<void>;
  /**
   * Once the verdict is delivered, offered what is left to remove (the container, whose
   * removal is already under way in the engine, the images, the folder, in that order): true
   * when something else will remove them (the command line's cleaner), and grade() then
   * resolves without waiting for them. Not offered after a grade that ended in an error.
   */
  handOff?: (left: Omit<HandedOff, 'graderPid'>) => Promise<boolean>;
}

export const DEFAULT_SCAN_LIMIT_BYTES = 4_000_000_000;

type Stage = keyof GradeResult['timings'];

/** What one grade is working with, handed from stage to stage. */
interface Grading {
  lab: LabDefinition;
  opts: GradeOptions;
  progress: Progress;
  context: PreparedContext;
  dockerfile: ParsedDockerfile;
  /** The Dockerfile under test, where the student keeps it. */
  dockerfilePath: string;
  tag: string;
  evidence: Evidence;
  notes: string[];
  timings: GradeResult['timings'];
  /** The grade's builds: their limits, time budget and build cache. */
  builds: GradeBuilds;
  /** Resolves when BuildKit reports its first step: it has the context and works on its own. */
  buildWorking: Promise<void>;
  /** The graded container and its removal, under way once the run is over: its image goes after it. */
  container?: { id: string; removed: Promise<void> };
  /** The build session opening: a note when its limits cannot hold. */
  opening: Promise<string | undefined>;
}

/** The Dockerfile under test, and the .dockerignore of its own where there is one. */
function resolveDockerfile(lab: LabDefinition, choice: GradeOptions['dockerfile']): { file: string; dockerignore?: string } {
  if (!choice || choice.kind === 'lab') return { file: path.join(labDir(lab), 'Dockerfile') };
  if (choice.kind === 'solution') return withOwnIgnore(path.join(solutionDir(lab), 'Dockerfile'), path.join(solutionDir(lab), '.dockerignore'));
  const file = path.resolve(choice.path);
  // BuildKit's convention: `app.Dockerfile` may come with its own `app.Dockerfile.dockerignore`.
  return withOwnIgnore(file, `${file}.dockerignore`);
}

const withOwnIgnore = (file: string, dockerignore: string) => ({ file, dockerignore: existsSync(dockerignore) ? dockerignore : undefined });

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
    return `the image could not be kept as ${name}: ${firstLine(err)}`;
  }
  const { port } = lab.app;
  const run = `docker run --rm -p ${port}:${port} ${name}`;
  return `the image is kept as ${name}: try \`${run}\` or \`docker history ${name}\``;
}

/** Time a stage; the engine going away mid-stage is "could not grade", never a student's failure. */
async function stage<T>(g: Grading, name: Stage, what: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await work();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const gone = new CannotGrade(`the Docker engine stopped answering while ${what}; start it again and re-run the grade`);
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE') throw gone;
    // Any other failure that is no answer of the engine's (testcontainers finding no engine, say): is it still there?
    if (!(err instanceof CannotGrade) && typeof (err as { statusCode?: unknown }).statusCode !== 'number' && !(await engineAnswers())) throw gone;
    throw err;
  } finally {
    g.timings[name] = (g.timings[name] ?? 0) + Date.now() - t0;
  }
}

function build(g: Grading, tag: string): Promise<BuildResult> {
  return g.builds.build(g.context.dir, tag);
}

function gradeBuilds(lab: LabDefinition, opts: GradeOptions, progress: Progress): Pick<Grading, 'builds' | 'buildWorking'> {
  const { buildTimeoutMs, stepTimeoutMs, buildLimits } = opts;
  let working!: () => void;
  const buildWorking = new Promise<void>((resolve) => (working = resolve));
  const builds = new GradeBuilds({
    buildTimeoutMs,
    stepTimeoutMs,
    buildLimits,
    network: lab.buildNetwork ? 'default' : 'none',
    throwaway: !opts.keepImage,
    onStep: (s) => {
      working();
      progress.step(s);
    },
  });
  return { builds, buildWorking };
}

/** A comment line in the touched file's language, so the edit changes nothing but the bytes. */
function commentLine(file: string): string {
  const hash = /\.(py|rb|sh|toml|ya?ml|txt)$|(^|\/)(Makefile|Dockerfile)$/.test(file);
  return `\n${hash ? '#' : '//'} edited by stagecraft to test the build cache ${Date.now()}\n`;
}

/** The engine's questions that need only the parsed Dockerfile: which of its images are not here, and the lab's current warm-cache seed. */
type Asked = [absent: string[], seedFound: Awaited<ReturnType<typeof seedHere>>];

function askEngine(lab: LabDefinition, dockerfile: ParsedDockerfile, text: string): Promise<Asked> {
  return Promise.all([imagesNotHere(dockerfile), seedHere(lab, text)]);
}

async function buildInspectRun(g: Grading, asked: Promise<Asked>): Promise<void> {
  await readyToBuild(g, asked);
  const unlimited = await stage(g, 'prepare', 'probing the build limits', () => g.opening);
  if (unlimited) g.notes.push(unlimited);
  await buildAndInspect(g);
}

/** What must hold before the build starts: the Dockerfile's syntax image, the engine's features, the base images, the warm cache mounts. */
async function readyToBuild(g: Grading, asked: Promise<Asked>): Promise<void> {
  const log = (line: string) => g.progress.log(line);
  // The engine's quick questions are asked together (those on the Dockerfile alone while the
  // context was copied). Whether its frontend can read the Dockerfile at all is settled before
  // anything is fetched: base images can take minutes. A current seed for the cache mounts is
  // looked up with them: fetching or making one waits for the base images.
  const text = g.context.dockerfileBytes.toString('utf8');
  const [syntaxNote, [absent, seedFound]] = await stage(g, 'prepare', 'looking for the syntax and base images', () =>
    Promise.all([withoutUnavailableSyntax(g.context.dir, g.dockerfile.syntax), asked]),
  );
  await stage(g, 'prepare', 'asking the engine for its version', () => requireFrontendFeatures(g.dockerfile, Boolean(g.dockerfile.syntax) && !syntaxNote));
  const { buildPulls } = await stage(g, 'prepare', 'fetching the base images', () => provideBaseImages(absent, log));
  if (buildPulls) g.builds.pullImages();
  const seed = seedFound === 'absent' ? await stage(g, 'prepare', 'warming the cache mounts', () => cacheSeed(g.lab, text, log)) : seedFound;
  await isolateContextCacheMounts(g.context.dir, g.opts.cacheNamespace ?? cacheNamespace(g.lab.id, g.dockerfilePath), seed);
  if (syntaxNote) g.notes.push(syntaxNote);
}

async function buildAndInspect(g: Grading): Promise<void> {
  g.progress.stage('building the image with BuildKit');
  const building = stage(g, 'build', 'building', () => build(g, g.tag));

  // Once BuildKit has the context and works on its own (loading these blocks this process
  // for a moment, which must not hold up the context's upload): the run stage gets ready
  // (testcontainers is large to load, and finds the engine), and what the scan must
  // recognise by its bytes (the toolchain images' files, the lab's own sources) is indexed.
  await Promise.race([g.buildWorking, building]);
  // The app runs when a check judges it running (runs, non-root's processes).
  const plan = g.lab.checks.some((c) => c.needs.includes('run') || c.needs.includes('processes')) ? runPlan(g.lab.app) : undefined;
  const runStage = plan ? import('../run/container.js') : undefined;
  runStage?.then((m) => m.warmUp()).catch(() => undefined); // a failure surfaces where the stage is awaited
  const findStamp = g.lab.checks.some((c) => c.findStamp);
  const knownPending = stage(g, 'inspect', 'indexing the toolchain images', () =>
    knownContent(g.lab.checks, g.context.dir, g.lab.app.stampFile, (line) => g.progress.log(line)),
  );
  knownPending.catch(() => undefined); // awaited below; a stage that throws first must not leave it unhandled

  // The scan's thread starts while the image builds: its start and modules (0.1 s) are then off
  // the verdict's path. It is this grade's alone, and ends with this stage whatever happens.
  const needsLayers = g.lab.checks.some((c) => c.needs.includes('layers'));
  const thread = needsLayers || findStamp ? new ScanThread() : undefined; // no thread: no scan
  try {
    const built = await building;
    g.evidence.build = built;
    if (!built.ok || !built.imageId) {
      await knownPending.catch(() => undefined); // nothing streams on after the grade
      return;
    }

    // The layer scan and the container run need only the image, not each other: they overlap.
    g.progress.stage(plan ? 'inspecting the image and its layers, running the container and probing it' : 'inspecting the image and its layers');
    const scanLimit = thread ? (g.opts.scanLimitBytes ?? DEFAULT_SCAN_LIMIT_BYTES) : 0;
    const known = await knownPending;
    // Both settle before anything is cleaned up: a failed scan must not remove the image under a running container.
    const [inspected, ran] = await Promise.allSettled([
      stage(g, 'inspect', 'inspecting the image', () =>
        inspectImage(
          built.imageId!,
          g.dockerfile,
          {
            scanLimitBytes: scanLimit,
            hash: known ? hashSpec(known) : undefined,
            needle: findStamp ? g.context.nonce : undefined,
            archives: needsLayers,
            budget: g.opts.scanBudget,
          },
          thread,
        ),
      ),
      plan &&
        stage(g, 'run', 'running the container', async () => {
          const { runAndProbe } = await runStage!;
          const run = await runAndProbe({
            image: g.tag, // testcontainers takes an image name, not an id
            port: plan.port,
            readyPath: plan.readyPath,
            probes: plan.probes.map((make) => make({ nonce: g.context.nonce, stampFunction: g.context.stampFunction })),
            limits: { ...DEFAULT_RUN_LIMITS, ...g.lab.app.runLimits, ...g.opts.runLimits },
          });
          if (run.containerId) g.container = { id: run.containerId, removed: run.removed };
          return run.result;
        }),
    ]);
    if (inspected.status === 'rejected') throw inspected.reason;
    if (ran.status === 'rejected') throw ran.reason;
    const image = inspected.value;
    g.evidence.image = image;
    g.evidence.known = known;
    if (findStamp) g.evidence.stamp = g.context.nonce;
    if (ran.value) g.evidence.run = ran.value;
    if (image.scanMs !== undefined) g.timings.scan = image.scanMs;
    if (image.standInBases.length) {
      g.notes.push(`sizes were measured against stand-in base images built from Debian packages: ${image.standInBases.join(', ')}`);
    }

    const edit = g.lab.checks.some((c) => c.needs.includes('rebuild')) ? g.lab.app.edit : undefined;
    if (edit) {
      g.progress.stage(`editing ${edit} and rebuilding, to see what the cache reuses`);
      await appendFile(path.join(g.context.dir, edit), commentLine(edit));
      const again = await stage(g, 'rebuild', 'rebuilding', () => build(g, `${g.tag}-rebuild`));
      g.evidence.rebuild = { touched: edit, build: again };
    }
  } finally {
    thread?.close();
  }
}

/**
 * What a grade of this lab needs before its Dockerfile is read, done ahead (`grade --watch`
 * keeps the next grade ready while the student edits): the engine found, the build fence's
 * probe, the run stage loaded with the engine found for it. Errors surface in the grade.
 */
export async function getReady(lab: LabDefinition, dockerfile?: GradeOptions['dockerfile']): Promise<void> {
  await requireEngine();
  const runs = lab.checks.some((c) => c.needs.includes('run') || c.needs.includes('processes'));
  await Promise.all([buildFence(), usesContainerdStore(), runs && import('../run/container.js').then((m) => m.warmUp()), rehearse(lab, dockerfile)]);
}

/**
 * A grade's first steps, done once and thrown away: the context copied and the Dockerfile
 * read and parsed, so the file system's and the parser's code is loaded and compiled before
 * the save that needs it (in a new process the first copy alone took 85 ms, later ones 12).
 */
async function rehearse(lab: LabDefinition, choice: GradeOptions['dockerfile']): Promise<void> {
  const { file, dockerignore } = resolveDockerfile(lab, choice);
  if (!existsSync(file)) return;
  const context = await prepareContext(labContextRequest(lab, file, dockerignore));
  try {
    parseDockerfile(context.dockerfileBytes);
  } finally {
    await context.remove();
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
  // Fail fast, before any progress output, on what makes grading impossible (read once: what is
  // parsed is what is copied and built; a batch's staged copy gone with its stop is the stop's).
  const submitted = await readDockerfile(file).catch((err: unknown) => {
    throw stopped() ?? err;
  });
  await requireEngine();
  // The build session opens (the fence's registration, its probe once per process, and the
  // host's firewall rules) while the context is prepared and the engine asked about it.
  const session = gradeBuilds(lab, opts, progress);
  const opening = session.builds.open();
  opening.catch(() => undefined); // awaited by the build, or before the session closes
  const tag = `stagecraft-grade/${lab.id}:${randomBytes(6).toString('hex')}`;
  const removeImages = () => Promise.all([tag, `${tag}-rebuild`].map((t) => removeImage(t).catch(() => undefined)));
  const release = onInterrupt(removeImages, 'image'); // the context folder registers its own removal
  let context: PreparedContext | undefined;
  let preparing: Promise<PreparedContext> | undefined;
  let g: Grading | undefined;
  let delivered = false;
  try {
    progress.stage('preparing the build context');
    // The lab's files are copied while the Dockerfile is parsed and the engine asked about it.
    preparing = prepareContext({ ...labContextRequest(lab, file, dockerignore), submitted });
    preparing.catch(() => undefined); // awaited below, or in `finally` if the parse throws first
    // What needs only the bytes (the size) is refused before the Dockerfile is parsed at all.
    const early = vetBytes(submitted.bytes);
    const lint: ParseResult = early ? { ok: false, problem: { message: 'it was not read' } } : parseDockerfile(submitted.bytes);
    const refusal = early ?? (lint.ok ? vet(lint.dockerfile, { allowImages: [...(lab.allowImages ?? []), ...(opts.allowImages ?? [])] }) : undefined);
    const asked = lint.ok && !refusal ? askEngine(lab, lint.dockerfile, submitted.bytes.toString('utf8')) : undefined;
    asked?.catch(() => undefined); // awaited before the build, or not at all if the copy fails
    context = await preparing;
    const evidence: Evidence = {
      lint,
      refusal,
      reference: { starterSize: await starterSize(lab.id) },
      labFolder: shownPath(labDir(lab)),
      dockerfile: shownPath(file),
      app: lab.app,
    };
    g = lint.ok
      ? {
          lab,
          opts,
          progress,
          context,
          dockerfile: lint.dockerfile,
          dockerfilePath: file,
          tag,
          evidence,
          notes: context.note ? [context.note] : [],
          timings: { prepare: Date.now() - started },
          opening,
          ...session,
        }
      : undefined;
    if (g && asked) await buildInspectRun(g, asked);
    progress.done();
    if (opts.keepImage && g && evidence.image) g.notes.push(await keepImage(lab, tag));
    if (g) g.notes.push(...g.builds.notes());
    const result = await verdict(lab, file, evidence, g, context, started);
    opts.onEvidence?.(evidence);
    // What the student waits for comes first; the clean-up below does not change it.
    await opts.onVerdict?.(result);
    delivered = true;
    return result;
  } catch (err) {
    throw stopped() ?? err;
  } finally {
    progress.done();
    context ??= await preparing?.catch(() => undefined); // a copy still under way when the grade threw: its folder goes too
    const left = { containers: g?.container ? [g.container.id] : [], images: [tag, `${tag}-rebuild`], folders: context ? [context.dir] : [] };
    // A heavy grade's build cache is cleared once its images are gone: it cleans up itself.
    const handed = delivered && opts.handOff && !session.builds.heavy ? await opts.handOff(left) : false;
    // The folder goes last: while a grade's images exist, so does its folder, by which a
    // later grade knows there is something to sweep if this one is killed now.
    const removal = handed ? undefined : (g?.container?.removed ?? Promise.resolve()).then(removeImages).then(() => context?.remove());
    await Promise.all([removal, opening.catch(() => undefined)]);
    await session.builds.close();
    release();
  }
}

/**
 * Once the grader is stopping, its cleanups remove what a grade under way uses (its context,
 * its container): what that grade found next is no verdict, and whatever it threw is not why.
 */
function stopped(): CannotGrade | undefined {
  const why = stoppingBecause();
  return why ? new CannotGrade(`the grader ${why} before this grade's verdict; grade it again`) : undefined;
}

/** The checks judged on the evidence, and the result. */
async function verdict(
  lab: LabDefinition,
  file: string,
  evidence: Evidence,
  g: Grading | undefined,
  context: PreparedContext,
  started: number,
): Promise<GradeResult> {
  const cut = stopped();
  if (cut) throw cut;
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
    notes: g?.notes ?? (context.note ? [context.note] : []),
    durationMs: Date.now() - started,
    timings: g?.timings ?? { prepare: Date.now() - started },
  };
}
