import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kitCacheDir } from '../kit/locations.js';
import { instructionFlags, parseMount, type MountField } from '../lint/buildkit.js';
import { parseDockerfile, type Stage } from '../lint/dockerfile.js';

/**
 * BuildKit keeps a `RUN --mount=type=cache` between builds under its `id` (by default its
 * target path), engine-wide: one submission could read, or poison, what another's build
 * left there. In the temporary copy of the Dockerfile (never the student's file), every
 * cache mount is rebuilt from its fields as BuildKit reads them (lint/buildkit.ts), with an
 * `id` in a namespace of its own: per student in a batch, per lab and Dockerfile for a
 * single grade, so a student's regrades still reuse their own cache. The policy has already
 * refused every mount that cannot be rebuilt faithfully (escapes, a key twice). The rewrite
 * stays on the same line, so every line number in a report is the student's.
 */

let installationKey: Buffer | undefined;

/**
 * A random key made once per installation and kept in the kit's cache folder (readable by
 * its owner only): namespaces are keyed by it, so no one can compute a classmate's from
 * their folder name.
 */
export function cacheKey(): Buffer {
  if (installationKey) return installationKey;
  const dir = kitCacheDir();
  const file = path.join(dir, 'cache-mount-key');
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length < 16) throw new Error(`${file} does not hold a key; remove it and grade again`);
  installationKey = key;
  return key;
}

/** `lab1-go` + `/home/me/labs/lab1-go/Dockerfile` → a short, stable namespace, keyed by this installation's secret. */
export function cacheNamespace(...parts: string[]): string {
  return `stagecraft-${createHmac('sha256', cacheKey()).update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}

/** The student's own name for the cache (its id, or its target), inside the namespace. */
function isolatedId(own: string, namespace: string): string {
  if (/^[A-Za-z0-9._/-]*$/.test(own)) return `${namespace}${own.startsWith('/') ? '' : '/'}${own}`;
  return `${namespace}/${createHash('sha256').update(own).digest('hex').slice(0, 16)}`;
}

/** One `RUN --mount=type=cache` of a Dockerfile, where it is written and what it says. */
interface CacheMount {
  stage: Stage;
  /** Where the `--mount=…` word is in the text ([from, to)). */
  from: number;
  to: number;
  fields: MountField[];
  get(key: string): string | undefined;
}

/** Every cache mount of the Dockerfile's RUN instructions, in order; none where it does not parse. */
function cacheMounts(text: string): CacheMount[] {
  const lint = parseDockerfile(text);
  if (!lint.ok) return [];
  const lines = text.split('\n');
  const lineStart: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) lineStart.push(at);
  const found: CacheMount[] = [];
  for (const stage of lint.dockerfile.stages) {
    for (const ins of stage.instructions) {
      if (ins.keyword !== 'RUN' || !ins.raw) continue;
      const { logical, flags } = instructionFlags(ins.raw, lint.dockerfile.escape);
      const base = lineStart[ins.line - 1]! + lines[ins.line - 1]!.indexOf(ins.raw.split('\n')[0]!);
      for (const flag of flags) {
        if (flag.name !== 'mount') continue;
        const mount = parseMount(flag.value ?? '');
        if ('error' in mount || (mount.get('type') ?? '').toLowerCase() !== 'cache') continue;
        found.push({ stage, from: base + logical.origin[flag.start]!, to: base + logical.origin[flag.end - 1]! + 1, fields: mount.fields, get: mount.get });
      }
    }
  }
  return found;
}

const written = (fields: MountField[]) => fields.map((f) => (f.value === null ? f.written : `${f.written}=${f.value}`));

/** A cache mount's target as a seed knows it (`/root/.npm/` → `/root/.npm`); none for a relative one. */
function seedTarget(target: string | undefined): string | undefined {
  if (!target?.startsWith('/')) return undefined;
  return path.posix.normalize(target).replace(/(.)\/+$/, '$1');
}

/** The absolute targets of the Dockerfile's cache mounts (what a seed could warm). */
export function cacheMountTargets(text: string): string[] {
  return cacheMounts(text).flatMap((m) => seedTarget(m.get('target')) ?? []);
}

/**
 * Where a lab's warm caches are: an image holding, per cache-mount target, a copy of what
 * the reference solution's build left in that cache (pipeline/cache-seed.ts makes it).
 */
export interface CacheSeed {
  image: string;
  /** A cache mount's target → the folder of the image that seeds it. */
  sources: Record<string, string>;
}

/**
 * The reference solution's Dockerfile with stages added that copy each of its caches
 * (the first mount of each target) into an image of their own, the new last stage: built,
 * it is the lab's seed. Undefined when the solution has no cache mount a seed can hold
 * (one in an unnamed stage, or one that is already seeded `from=` something).
 */
export function seedDockerfile(text: string): { text: string; sources: Record<string, string> } | undefined {
  const sources: Record<string, string> = {};
  const stages: string[] = [];
  for (const m of cacheMounts(text)) {
    const target = seedTarget(m.get('target'));
    if (!target || !m.stage.name || m.get('from') !== undefined || target in sources) continue;
    const n = Object.keys(sources).length;
    sources[target] = `/${n}`;
    stages.push(
      `FROM ${m.stage.name} AS stagecraft-seed-${n}`,
      'USER 0',
      `RUN --mount=${written(m.fields).join(',')} mkdir -p /stagecraft-seed/${n} && cp -a "${target}/." /stagecraft-seed/${n}/`,
    );
  }
  if (stages.length === 0) return undefined;
  const copies = Object.values(sources).map((dir) => `COPY --from=stagecraft-seed-${dir.slice(1)} /stagecraft-seed${dir} ${dir}`);
  return { text: `${text.replace(/\n*$/, '\n')}\n${[...stages, 'FROM scratch AS stagecraft-seeds', ...copies].join('\n')}\n`, sources };
}

/**
 * The Dockerfile's text with every cache mount rebuilt with its id in the namespace;
 * nothing else changes. With a seed, a mount whose target the seed holds (and that names
 * no `from=` of its own) starts from the seed's copy: BuildKit lays the cache over the
 * image, so what the build writes stays in this namespace and the seed is never changed.
 */
export function isolateCacheMounts(text: string, namespace: string, seed?: CacheSeed): string {
  const edits = cacheMounts(text).map((m) => {
    const own = m.get('id') ?? m.get('target') ?? '';
    const source = seed && m.get('from') === undefined && m.get('source') === undefined ? seed.sources[seedTarget(m.get('target')) ?? ''] : undefined;
    const seeded = source ? [`from=${seed!.image}`, `source=${source}`] : [];
    return {
      from: m.from,
      to: m.to,
      text: `--mount=${[...written(m.fields.filter((f) => f.key !== 'id')), ...seeded, `id=${isolatedId(own, namespace)}`].join(',')}`,
    };
  });
  let out = text;
  for (const e of edits.sort((a, b) => b.from - a.from)) out = `${out.slice(0, e.from)}${e.text}${out.slice(e.to)}`;
  return out;
}

/** Rewrite the prepared context's Dockerfile in place (the temporary copy). */
export async function isolateContextCacheMounts(contextDir: string, namespace: string, seed?: CacheSeed): Promise<void> {
  const file = path.join(contextDir, 'Dockerfile');
  const text = await readFile(file, 'utf8');
  const rewritten = isolateCacheMounts(text, namespace, seed);
  if (rewritten !== text) await writeFile(file, rewritten);
}

/**
 * Remove the cache mounts BuildKit created since `since` (a batch's start) and no build
 * uses now: the students' isolated caches go when the batch that made them ends.
 */
export async function removeCacheMountsSince(since: Date): Promise<number> {
  const { removeBuildCacheSince } = await import('../buildkit/cache.js');
  return removeBuildCacheSince(since, (r) => r.Type === 'exec.cachemount');
}
