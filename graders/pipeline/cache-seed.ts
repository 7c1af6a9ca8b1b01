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

/** What the seed is made from: the solution, the lab's files, the base images' ids. */
async function seedKey(lab: LabDefinition, solutionText: string, baseImages: { ref: string; id: string | undefined }[]): Promise<string> {
  const hash = createHash('sha256').update(SEED_FORMAT).update('\0').update(solutionText);
  const dir = labDir(lab);
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => !notTheApp(f))
    .sort();
  for (const file of files)
    hash
      .update('\0')
      .update(file)
      .update('\0')
      .update(await readFile(path.join(dir, file)));
  for (const { ref, id } of baseImages)
    hash
      .update('\0')
      .update(ref)
      .update('\0')
      .update(id ?? 'missing');
  return hash.digest('hex').slice(0, 16);
}

/**
 * The lab's seed for this Dockerfile's cache mounts, built first if this machine has none
 * that is current; undefined when the Dockerfile has no cache mount the seed holds, the lab
 * has no seed, or it could not be built (the grade then starts cold, as it always could).
 */
export async function cacheSeed(lab: LabDefinition, dockerfileText: string, log: (line: string) => void): Promise<CacheSeed | undefined> {
  const solution = path.join(solutionDir(lab), 'Dockerfile');
  if (!existsSync(solution)) return undefined;
  const solutionText = await readFile(solution, 'utf8');
  const seed = seedDockerfile(solutionText);
  if (!seed || !cacheMountTargets(dockerfileText).some((t) => t in seed.sources)) return undefined;
  try {
    const parsed = parseDockerfile(solutionText);
    const refs = parsed.ok ? externalImages(parsed.dockerfile) : [];
    let ids = await imageIds(refs);
    // A fresh machine: the solution's base images are fetched first (the grade's own usually were, just now).
    if (parsed.ok && ids.includes(undefined)) {
      await ensureBaseImages(parsed.dockerfile, log);
      ids = await imageIds(refs);
    }
    const key = await seedKey(
      lab,
      solutionText,
      refs.map((ref, i) => ({ ref, id: ids[i] })),
    );
    const image = `${SEED_REPOSITORY}/${lab.id}:${key}`;
    let made = pending.get(image);
    if (!made) {
      made = makeSeed(lab, image, seed, log);
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
