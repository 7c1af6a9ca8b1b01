import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * BuildKit keeps a `RUN --mount=type=cache` between builds under its `id` (by default its
 * target path), engine-wide: one submission could read, or poison, what another's build
 * left there. In the temporary copy of the Dockerfile (never the student's file), every
 * cache mount gets an `id` in a namespace of its own: per student in a batch, per lab and
 * Dockerfile for a single grade, so a student's regrades still reuse their own cache. The
 * rewrite stays on the same line, so every line number in a report is the student's.
 */

/** `lab1-go` + `/home/me/labs/lab1-go/Dockerfile` → a short, stable namespace. */
export function cacheNamespace(...parts: string[]): string {
  return `stagecraft-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}

/** One mount spec (`type=cache,target=/root/.cache/go-build`) with its id put in `namespace`. */
function isolate(spec: string, namespace: string): string {
  const fields = spec.split(',');
  const value = (key: string) => fields.find((f) => f.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
  if ((value('type') ?? '').toLowerCase() !== 'cache') return spec;
  const own = value('id') ?? value('target') ?? value('dst') ?? value('destination') ?? '';
  const rest = fields.filter((f) => !f.toLowerCase().startsWith('id='));
  return [...rest, `id=${namespace}${own.startsWith('/') ? '' : '/'}${own}`].join(',');
}

/** The Dockerfile's text with every cache mount's id in the namespace; nothing else changes. */
export function isolateCacheMounts(text: string, namespace: string): string {
  return text.replace(/(--mount=)("[^"\n]*"|[^\s\\]+)/g, (_, flag: string, spec: string) =>
    spec.startsWith('"') ? `${flag}"${isolate(spec.slice(1, -1), namespace)}"` : `${flag}${isolate(spec, namespace)}`,
  );
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
