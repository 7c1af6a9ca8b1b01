import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GradeBuilds } from '../buildkit/grade-builds.js';
import { docker, imageExists, imageId, removeImage } from '../engine/docker.js';
import { firstLine } from '../format/text.js';
import { labDir, solutionDir, type LabDefinition } from '../lab.js';
import { externalImages, parseDockerfile } from '../lint/dockerfile.js';
import { cacheMountTargets, cacheNamespace, isolateCacheMounts, seedDockerfile, type CacheSeed } from '../prepare/cache-mounts.js';
import { labContextRequest, prepareContext } from '../prepare/context.js';
import { ensureBaseImages } from './base-images.js';

/**
 * Warm caches for isolated cache mounts. Every grade's cache mounts are its own
 * (prepare/cache-mounts.ts), so a new submission used to start cold: Go's standard library
 * compiled again, every npm package downloaded again. A lab's seed is an image holding what
 * the reference solution's build left in its cache mounts, built once per machine and again
 * when the solution, the lab's files or a base image change. A grade's cache mount whose
 * target the seed holds starts from it: BuildKit lays the cache over the image, copy on
 * write, so a build's writes stay in its own cache and the seed never changes. Only the
 * reference solution writes a seed, never a submission.
 */
const SEED_FORMAT = '1';
export const SEED_REPOSITORY = 'stagecraft-seed';

/** One seed per lab and key in this process, however many grades ask at once (a batch's workers). */
const pending = new Map<string, Promise<CacheSeed | undefined>>();

/** Lab files that are not the lab's app: the Dockerfiles students edit there, what a package manager or git put there. */
const notTheApp = (relative: string) =>
  /(^|\.)Dockerfile$|^Dockerfile\.|\.dockerignore$/i.test(path.basename(relative)) ||
  relative.split(path.sep).some((p) => p === 'node_modules' || p === '.git');

/** Each base image's id (undefined where it is not here, or not known), asked of the engine at once. */
const imageIds = (refs: string[]) => Promise.all(refs.map((ref) => imageId(ref).catch(() => undefined)));

/** One of the lab's app files: its path in the lab folder, and its bytes. */
interface AppFile {
  file: string;
  bytes: Buffer;
}

/** The lab's app files, in path order, read at once. */
async function appFiles(lab: LabDefinition): Promise<AppFile[]> {
  const dir = labDir(lab);
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => !notTheApp(f))
    .sort();
  return Promise.all(files.map(async (file) => ({ file, bytes: await readFile(path.join(dir, file)) })));
}

/** What the seed is made from: the solution, the lab's files, the base images' ids. */
function seedKey(solutionText: string, files: AppFile[], baseImages: { ref: string; id: string | undefined }[]): string {
  const hash = createHash('sha256').update(SEED_FORMAT).update('\0').update(solutionText);
  for (const { file, bytes } of files) hash.update('\0').update(file).update('\0').update(bytes);
  for (const { ref, id } of baseImages)
    hash
      .update('\0')
      .update(ref)
      .update('\0')
      .update(id ?? 'missing');
  return hash.digest('hex').slice(0, 16);
}

/** What a seed for this Dockerfile would be made from: undefined when none applies (no cache mount it holds, no seed for the lab). */
async function seedPlan(lab: LabDefinition, dockerfileText: string) {
  const solution = path.join(solutionDir(lab), 'Dockerfile');
  if (!existsSync(solution)) return undefined;
  const solutionText = await readFile(solution, 'utf8');
  const seed = seedDockerfile(solutionText);
  if (!seed || !cacheMountTargets(dockerfileText).some((t) => t in seed.sources)) return undefined;
  const parsed = parseDockerfile(solutionText);
  return { solutionText, seed, parsed, refs: parsed.ok ? externalImages(parsed.dockerfile) : [] };
}

type SeedPlan = NonNullable<Awaited<ReturnType<typeof seedPlan>>>;

/** The seed image a plan names: its base images' ids asked of the engine while the lab's files are read; `basesHere` when none is missing. */
async function seedName(lab: LabDefinition, plan: SeedPlan, files: Promise<AppFile[]>): Promise<{ image: string; basesHere: boolean }> {
  const [ids, read] = await Promise.all([imageIds(plan.refs), files]);
  const key = seedKey(
    plan.solutionText,
    read,
    plan.refs.map((ref, i) => ({ ref, id: ids[i] })),
  );
  return { image: `${SEED_REPOSITORY}/${lab.id}:${key}`, basesHere: !ids.includes(undefined) };
}

/**
 * The seed, if this machine has a current one, found without fetching or building anything:
 * a grade asks it together with its other questions to the engine. 'absent' where cacheSeed
 * would have to fetch or build (or could not say); undefined where no seed applies.
 */
export async function seedHere(lab: LabDefinition, dockerfileText: string): Promise<CacheSeed | 'absent' | undefined> {
  try {
    const plan = await seedPlan(lab, dockerfileText);
    if (!plan) return undefined;
    const { image, basesHere } = await seedName(lab, plan, appFiles(lab));
    return basesHere && (await imageExists(image)) ? { image, sources: plan.seed.sources } : 'absent';
  } catch {
    return 'absent';
  }
}

/**
 * The lab's seed for this Dockerfile's cache mounts, built first if this machine has none
 * that is current; undefined when the Dockerfile has no cache mount the seed holds, the lab
 * has no seed, or it could not be built (the grade then starts cold, as it always could).
 */
export async function cacheSeed(lab: LabDefinition, dockerfileText: string, log: (line: string) => void): Promise<CacheSeed | undefined> {
  try {
    const plan = await seedPlan(lab, dockerfileText);
    if (!plan) return undefined;
    const files = appFiles(lab);
    let named = await seedName(lab, plan, files);
    // A fresh machine: the solution's base images are fetched first (the grade's own usually were, just now).
    if (plan.parsed.ok && !named.basesHere) {
      await ensureBaseImages(plan.parsed.dockerfile, log);
      named = await seedName(lab, plan, files);
    }
    const { image } = named;
    let made = pending.get(image);
    if (!made) {
      made = makeSeed(lab, image, plan.seed, log);
      pending.set(image, made);
      // A seed that was not made is tried again by the next grade (and a failure is handled here, not left unhandled).
      const forget = () => pending.delete(image);
      made.then((s) => s || forget(), forget);
    }
    return await made;
  } catch (err) {
    log(`the cache mounts start empty: the lab's warm caches could not be prepared (${firstLine(err)})`);
    return undefined;
  }
}

async function makeSeed(
  lab: LabDefinition,
  image: string,
  seed: NonNullable<ReturnType<typeof seedDockerfile>>,
  log: (line: string) => void,
): Promise<CacheSeed | undefined> {
  const sources = seed.sources;
  if (await imageExists(image)) return { image, sources };
  log(
    `warming this lab's cache mounts (${Object.keys(sources).join(', ')}): the reference solution is built once on this machine, and every grade's caches start from what it left`,
  );
  const solution = solutionDir(lab);
  const dockerignore = path.join(solution, '.dockerignore');
  const context = await prepareContext(labContextRequest(lab, path.join(solution, 'Dockerfile'), existsSync(dockerignore) ? dockerignore : undefined));
  try {
    await writeFile(path.join(context.dir, 'Dockerfile'), isolateCacheMounts(seed.text, cacheNamespace('seed', lab.id)));
    const built = await GradeBuilds.once({ network: lab.buildNetwork ? 'default' : 'none' }, context.dir, image);
    if (!built.ok) {
      log(`the cache mounts start empty: the reference solution did not build (${built.error ?? 'no reason given'})`);
      return undefined;
    }
  } finally {
    await context.remove();
  }
  // The lab's earlier seeds are stale now.
  const others = await docker().listImages({ filters: { reference: [`${SEED_REPOSITORY}/${lab.id}`] } });
  for (const tag of others.flatMap((i) => i.RepoTags ?? [])) if (tag !== image) await removeImage(tag).catch(() => undefined);
  return { image, sources };
}
