import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { instructionFlags, parseMount } from '../lint/buildkit.js';
import { parseDockerfile } from '../lint/dockerfile.js';

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

/** Where the kit keeps what it computes once: $STAGECRAFT_CACHE_DIR, else the user's cache folder. */
function kitCacheDir(): string {
  if (process.env.STAGECRAFT_CACHE_DIR) return process.env.STAGECRAFT_CACHE_DIR;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'stagecraft');
}

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

/** The Dockerfile's text with every cache mount rebuilt with its id in the namespace; nothing else changes. */
export function isolateCacheMounts(text: string, namespace: string): string {
  const lint = parseDockerfile(text);
  if (!lint.ok) return text;
  const lines = text.split('\n');
  const lineStart: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) lineStart.push(at);
  const edits: { from: number; to: number; text: string }[] = [];
  for (const ins of lint.dockerfile.stages.flatMap((s) => s.instructions)) {
    if (ins.keyword !== 'RUN' || !ins.raw) continue;
    const { logical, flags } = instructionFlags(ins.raw, lint.dockerfile.escape);
    const base = lineStart[ins.line - 1]! + lines[ins.line - 1]!.indexOf(ins.raw.split('\n')[0]!);
    for (const flag of flags) {
      if (flag.name !== 'mount') continue;
      const mount = parseMount(flag.value ?? '');
      if ('error' in mount || (mount.get('type') ?? '').toLowerCase() !== 'cache') continue;
      const own = mount.get('id') ?? mount.get('target') ?? '';
      const fields = mount.fields.filter((f) => f.key !== 'id').map((f) => (f.value === null ? f.written : `${f.written}=${f.value}`));
      edits.push({
        from: base + logical.origin[flag.start]!,
        to: base + logical.origin[flag.end - 1]! + 1,
        text: `--mount=${[...fields, `id=${isolatedId(own, namespace)}`].join(',')}`,
      });
    }
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.from - a.from)) out = `${out.slice(0, e.from)}${e.text}${out.slice(e.to)}`;
  return out;
}

/** Rewrite the prepared context's Dockerfile in place (the temporary copy). */
export async function isolateContextCacheMounts(contextDir: string, namespace: string): Promise<void> {
  const file = path.join(contextDir, 'Dockerfile');
  const text = await readFile(file, 'utf8');
  const rewritten = isolateCacheMounts(text, namespace);
  if (rewritten !== text) await writeFile(file, rewritten);
}

/**
 * Remove the cache mounts BuildKit created since `since` (a batch's start) and no build
 * uses now: the students' isolated caches go when the batch that made them ends.
 */
export async function removeCacheMountsSince(since: Date): Promise<number> {
  const { docker } = await import('../engine/docker.js');
  const df = (await docker().df()) as { BuildCache?: { ID: string; Type: string; CreatedAt: string; InUse: boolean }[] };
  const ids = (df.BuildCache ?? []).filter((c) => c.Type === 'exec.cachemount' && !c.InUse && new Date(c.CreatedAt) >= since).map((c) => c.ID);
  if (ids.length === 0) return 0;
  await docker().pruneBuilder({ filters: JSON.stringify({ id: ids }) } as never);
  return ids.length;
}
