import { buildCacheRecords, docker, type BuildCacheRecord } from '../engine/docker.js';

/**
 * What grades leave in the engine's build cache. Every grade builds a context no earlier
 * grade had (the stamp), so most records it makes are never used again; a few (the
 * dependency install before the sources are copied in, cache mounts) make the next grade
 * fast. The rule: a grade that made more than an honest grade does (over `HEAVY_BYTES`, or
 * stopped by the fence for disk or files) has everything it made removed when it ends; and
 * what this process's grades made is kept under `KEEP_BYTES` (checked as `boundDue` says),
 * the least recently used removed first, so a batch of forty never piles up gigabytes.
 * Records are found by when they were made: during one of the grade's builds. One made
 * while another grade of this process was building could be that grade's; it waits until
 * that grade has ended too.
 * Another process's build at the same time is not known here: what it holds (records in use,
 * its downloaded context, see `removable`) is never removed.
 */
export const HEAVY_BYTES = 1e9;
export const HEAVY_FILES = 100_000;
export const KEEP_BYTES = 2e9;
/**
 * Past KEEP_BYTES, the bound is checked again each time this process's grades have written
 * this much more, not after every grade: listing the engine's cache is the engine's work
 * (3.7 CPU-seconds for 4,000 records on Docker 28's containerd store), and a batch's grades
 * write about 0.1 GB each. What ended grades keep can pass KEEP_BYTES by up to this.
 */
export const CHECK_EVERY_BYTES = 1e9;
/** The engine stamps records with its own clock; allow for the time a build request takes to reach it. */
const MARGIN_MS = 1000;

interface Window {
  start: number;
  end?: number;
}

/** One grade's builds, as the ledger knows them. */
export class CacheOwner {
  readonly windows: Window[] = [];
  ended = false;
  heavy = false;
  /** A heavy grade whose records could all be removed (none waited for another grade). */
  cleared = false;
}

const owners = new Set<CacheOwner>();
/** What the fence saw this process's grades write, in all, and when the bound was last checked: see `boundDue`. */
let processWrote = 0;
let checkedAt = 0;

/** Whether the bound on what this process's grades keep is to be checked, having written `wrote` in all, `checkedAt` at the last check. */
export const boundDue = (wrote: number, checkedAt: number) => wrote >= KEEP_BYTES && (checkedAt < KEEP_BYTES || wrote - checkedAt >= CHECK_EVERY_BYTES);

/** A build of this grade starts now; call the returned function when it is over. */
export function openWindow(owner: CacheOwner): () => void {
  owners.add(owner);
  const w: Window = { start: Date.now() };
  owner.windows.push(w);
  return () => (w.end = Date.now());
}

/**
 * Whether the kit may remove this record once a grade that made it is over. Never BuildKit's own,
 * one in use, or a build's downloaded context: found by time alone, one of those could be another
 * build's, on this engine, between reading its context for the cache key and reading its files
 * (removed then, Docker 28 cannot send the context again: the build fails).
 */
export const removable = (r: Pick<BuildCacheRecord, 'Type' | 'InUse' | 'Description'>) =>
  r.Type !== 'internal' && !r.InUse && !/^http url http:\/\/build-context-/.test(r.Description ?? '');

const within = (t: number, w: Window) => t >= w.start - MARGIN_MS && t <= (w.end ?? Infinity) + MARGIN_MS;

/** Remove these records (and nothing else); BuildKit leaves any still in use. */
async function prune(records: BuildCacheRecord[]): Promise<void> {
  // One request with an anchored alternation: BuildKit then removes children before parents.
  // Past 200 a request, the newest go first: a record is made after its parent, so no
  // request holds a parent whose child is left for a later one (and would keep it).
  const ids = [...records].sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt)).map((r) => r.ID);
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    await new Promise<void>((resolve, reject) =>
      docker().modem.dial(
        {
          path: '/build/prune?',
          method: 'POST',
          options: { all: true, filters: { id: [`^(${chunk.join('|')})$`] } },
          statusCodes: { 200: true, 500: 'server error' },
        },
        (err: unknown) => (err ? reject(err) : resolve()),
      ),
    );
  }
}

/**
 * Remove the records made since `since` that `which` selects (all, by default) and that the
 * kit may remove: what a batch made goes when it ends. Returns how many.
 */
export async function removeBuildCacheSince(since: Date, which: (r: BuildCacheRecord) => boolean = () => true): Promise<number> {
  const gone = (await buildCacheRecords()).filter((r) => removable(r) && which(r) && Date.parse(r.CreatedAt) >= since.getTime());
  if (gone.length) await prune(gone);
  return gone.length;
}

/** Whether what the fence saw a grade write makes it heavy; undefined when no fence watched (the records' sizes decide then). */
export const isHeavy = (fenced?: { bytes: number; files: number; stoppedForDisk: boolean }) =>
  fenced && (fenced.stoppedForDisk || fenced.bytes > HEAVY_BYTES || fenced.files > HEAVY_FILES);

/**
 * The grade is over: remove what it made if it was heavy, and keep what this process's
 * grades made under KEEP_BYTES. `fenced`: what the fence saw the grade's steps write, and
 * whether it stopped one for disk or files; undefined when no fence watched (then the
 * records' sizes decide). Returns the bytes removed. Never throws: a failed clean-up must
 * not fail a grade (the cache is the engine's to collect too).
 */
export async function settleBuildCache(owner: CacheOwner, fenced?: { bytes: number; files: number; stoppedForDisk: boolean }): Promise<number> {
  const heavy = isHeavy(fenced);
  processWrote += fenced?.bytes ?? 0;
  owner.ended = true;
  owner.heavy = heavy ?? false;
  // Most grades are light: no need to ask the engine for its whole cache.
  const due = boundDue(processWrote, checkedAt);
  if (heavy === false && !due && ![...owners].some((o) => o.ended && o.heavy && !o.cleared)) return 0;
  try {
    const all = await buildCacheRecords();
    if (processWrote >= KEEP_BYTES) checkedAt = processWrote; // listed: a failed listing is tried again at the next grade
    const active = [...owners].filter((o) => !o.ended);
    const made = (o: CacheOwner) => all.filter((r) => removable(r) && o.windows.some((w) => within(Date.parse(r.CreatedAt), w)));
    // Not while a grade that may own it is still building.
    const free = (r: BuildCacheRecord) => !active.some((o) => o.windows.some((w) => within(Date.parse(r.CreatedAt), w)));
    if (heavy === undefined) owner.heavy = made(owner).reduce((n, r) => n + r.Size, 0) > HEAVY_BYTES;

    const doomed = new Set<string>();
    for (const o of owners) {
      if (!o.ended || !o.heavy || o.cleared) continue;
      const mine = made(o);
      for (const r of mine) if (free(r)) doomed.add(r.ID);
      o.cleared = mine.every(free);
    }
    // The rest of what ended grades made, most recently used first, up to KEEP_BYTES.
    const kept = [...owners]
      .filter((o) => o.ended)
      .flatMap(made)
      .filter((r) => !doomed.has(r.ID) && free(r))
      .sort((a, b) => Date.parse(b.LastUsedAt ?? b.CreatedAt) - Date.parse(a.LastUsedAt ?? a.CreatedAt));
    let total = 0;
    for (const r of kept) {
      total += r.Size;
      if (total > KEEP_BYTES) doomed.add(r.ID);
    }
    const gone = all.filter((r) => doomed.has(r.ID));
    if (gone.length) await prune(gone);
    return gone.reduce((n, r) => n + r.Size, 0);
  } catch {
    return 0;
  }
}
