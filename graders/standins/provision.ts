import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { buildImage } from '../buildkit/build.js';
import { docker, followToEnd, removeImage } from '../engine/docker.js';
import { formatBytes } from '../format/bytes.js';
import { CATALOGUE, RECIPE_LABEL, STAND_IN_LABEL, type CatalogueImage } from '../images/catalogue.js';
import { STANDIN_RECIPES } from '../kit/locations.js';
import { importRootfs, lastLine, MMDEBSTRAP_ARGS } from './rootfs.js';
import { firstLine } from '../format/text.js';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const PULL_TIMEOUT_MS = 120_000;
const STANDIN_BUILD_TIMEOUT_MS = 20 * 60_000;

export type Origin = 'present' | 'pulled' | 'stand-in built' | 'stand-in kept';

export interface ProvisionOptions {
  /** Skip the registry and build stand-ins (an offline classroom, this project's CI). */
  standIns: boolean;
  log: (line: string) => void;
}

interface LocalImage {
  id: string;
  size: number;
  labels: Record<string, string>;
  /** Its layers' digests: the same on every engine it is loaded into, unlike its id. */
  layers: string[];
}

async function localImage(ref: string): Promise<LocalImage | undefined> {
  try {
    const info = await docker().getImage(ref).inspect();
    return { id: info.Id, size: info.Size, labels: info.Config?.Labels ?? {}, layers: info.RootFS?.Layers ?? [] };
  } catch {
    return undefined;
  }
}

/** How a recipe's hash names a parent image here. */
type ParentMark = (parent: LocalImage | undefined) => string;
/**
 * A parent by its layers. An image's id differs between engines (the containerd image store
 * names an image by its manifest, the classic one by its config), so a stand-in loaded from
 * another engine, or relabelled, is still built on the parent here when the layers are the same.
 */
const byLayers: ParentMark = (p) => p?.layers.join('\n') ?? 'missing';
/** The kit's earlier form, a parent by its id: true only on the engine that built the stand-in. */
const byId: ParentMark = (p) => p?.id ?? 'missing';

/** What a stand-in is made of; when it changes (or a parent is rebuilt), the stand-in is rebuilt. */
async function recipeHash(entry: CatalogueImage, mark: ParentMark = byLayers): Promise<string> {
  // Only what changes the image counts: not its description or traits.
  const h = createHash('sha256').update(JSON.stringify({ ref: entry.ref, standIn: entry.standIn }));
  if ('rootfs' in entry.standIn) {
    h.update(MMDEBSTRAP_ARGS.join('\n'));
  } else {
    h.update(await readFile(path.join(STANDIN_RECIPES, entry.standIn.recipe)));
    for (const parent of entry.standIn.from) h.update(mark(await localImage(parent)));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The stand-ins here that are not what their recipe makes on the parents here: the recipe
 * changed, or a parent was rebuilt (on this engine alone, the child loaded from another).
 * A grade that needs one would build it again, and explain would name the wrong images it
 * was built on. (A label of the kit's earlier form counts as current where it holds.)
 */
export async function staleStandIns(): Promise<Set<string>> {
  const stale = new Set<string>();
  for (const entry of CATALOGUE) {
    const local = await localImage(entry.ref);
    const label = local?.labels[STAND_IN_LABEL] && local.labels[RECIPE_LABEL];
    if (label && label !== (await recipeHash(entry)) && label !== (await recipeHash(entry, byId))) stale.add(entry.ref);
  }
  return stale;
}

/**
 * The same image under its recipe's label of today: a build of `FROM` it alone, which adds
 * no layer, so what was built on it stays built on it.
 */
async function relabel(entry: CatalogueImage, hash: string, old: LocalImage): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-standin-'));
  try {
    await writeFile(path.join(dir, 'Dockerfile'), `FROM ${entry.ref}\n`);
    const result = await buildImage({ contextDir: dir, tag: entry.ref, labels: { ...old.labels, [RECIPE_LABEL]: hash }, timeoutMs: PULL_TIMEOUT_MS });
    if (!result.ok) throw new Error(`relabelling the stand-in ${entry.ref} failed: ${result.error}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await docker()
    .getImage(old.id)
    .remove()
    .catch(() => undefined);
}

async function tryPull(ref: string, log: (line: string) => void): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PULL_TIMEOUT_MS);
  try {
    const stream = await docker().pull(ref, { abortSignal: abort.signal });
    await followToEnd(stream);
    return true;
  } catch (err) {
    log(`  ${ref}: no registry answered (${firstLine(err).slice(0, 120)})`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

async function buildStandIn(entry: CatalogueImage, hash: string, log: (line: string) => void): Promise<void> {
  const labels = { [STAND_IN_LABEL]: entry.ref, [RECIPE_LABEL]: hash };
  if ('rootfs' in entry.standIn) {
    try {
      await importRootfs(entry.ref, labels, log);
    } catch (err) {
      await removeImage(entry.ref);
      throw err;
    }
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-standin-'));
  try {
    await cp(path.join(STANDIN_RECIPES, entry.standIn.recipe), path.join(dir, 'Dockerfile'));
    // Toolchain stand-ins trust the host's CA bundle (TLS may be intercepted); none is fine too.
    const bundle = await readFile(HOST_CA_BUNDLE).catch(() => Buffer.alloc(0));
    await writeFile(path.join(dir, 'host-ca-bundle.crt'), bundle);
    if (entry.standIn.npmCli) await packNpmCli(entry.standIn.npmCli, dir);
    const result = await buildImage({
      contextDir: dir,
      tag: entry.ref,
      labels,
      timeoutMs: STANDIN_BUILD_TIMEOUT_MS,
      onStep: (step) => {
        if (step.done && !step.cached && /^\[/.test(step.name)) log(`  ${step.name.slice(0, 100)}`);
      },
    });
    if (!result.ok) {
      const tail = result.failedStep?.tail.slice(-5).join('\n    ') ?? '';
      throw new Error(`building the stand-in for ${entry.ref} failed: ${result.error}${tail ? `\n    ${tail}` : ''}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Upstream node images ship npm from the npm registry, not Debian's npm (whose
 * dependencies would triple a slim image). Fetch the same tarball with the host's own npm
 * client, as it is configured here, into the build context as npm-cli.tgz.
 */
async function packNpmCli(version: string, dir: string): Promise<void> {
  const r = await $({ quiet: true, nothrow: true })`npm pack ${`npm@${version}`} --pack-destination ${dir} --silent`;
  const file = r.stdout.trim().split('\n').pop();
  if (r.exitCode !== 0 || !file) throw new Error(`npm pack npm@${version} failed: ${lastLine(r.stderr)}`);
  await rename(path.join(dir, file), path.join(dir, 'npm-cli.tgz'));
}

/** Parents before children, so every stand-in's FROM is already there. */
export function buildOrder(images: readonly CatalogueImage[]): CatalogueImage[] {
  const done = new Set<string>();
  const order: CatalogueImage[] = [];
  const visit = (img: CatalogueImage) => {
    if (done.has(img.ref)) return;
    done.add(img.ref);
    if ('from' in img.standIn) {
      for (const parent of img.standIn.from) {
        const p = CATALOGUE.find((c) => c.ref === parent);
        if (p) visit(p);
      }
    }
    order.push(img);
  };
  images.forEach(visit);
  return order;
}

/**
 * Make sure an image answers to each catalogue name: an upstream image already here is
 * kept; otherwise pull it; where that fails (or stand-ins are asked for), build a stand-in.
 */
export async function ensureImages(images: readonly CatalogueImage[], opts: ProvisionOptions): Promise<Map<string, Origin>> {
  const origins = new Map<string, Origin>();
  const order = buildOrder(images);
  // Labels of the kit's earlier form, each checked against the parents' ids before any is relabelled.
  const earlier = new Map(await Promise.all(order.map(async (e) => [e.ref, await recipeHash(e, byId)] as const)));
  for (const entry of order) {
    const local = await localImage(entry.ref);
    const hash = await recipeHash(entry);
    if (local && !local.labels[STAND_IN_LABEL]) {
      origins.set(entry.ref, 'present');
    } else if (local && local.labels[RECIPE_LABEL] === hash) {
      origins.set(entry.ref, 'stand-in kept');
    } else if (local && local.labels[RECIPE_LABEL] === earlier.get(entry.ref)) {
      await relabel(entry, hash, local);
      origins.set(entry.ref, 'stand-in kept');
    } else if (!local && !opts.standIns && (await tryPull(entry.ref, opts.log))) {
      origins.set(entry.ref, 'pulled');
    } else {
      opts.log(`${entry.ref}: building a stand-in from Debian packages${local ? ' (its recipe changed)' : ''}`);
      const started = Date.now();
      await buildStandIn(entry, hash, opts.log);
      origins.set(entry.ref, 'stand-in built');
      // The stand-in it replaces is now untagged; remove it unless something still builds on it.
      if (local)
        await docker()
          .getImage(local.id)
          .remove()
          .catch(() => undefined);
      const built = await localImage(entry.ref);
      opts.log(`${entry.ref}: stand-in ready, ${formatBytes(built?.size ?? 0)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  return origins;
}
