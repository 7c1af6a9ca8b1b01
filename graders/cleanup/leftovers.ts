import { readFileSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { docker, GRADER_LABEL } from '../engine/docker.js';
import { plural } from '../format/bytes.js';
import { identityAlive, processAlive } from './processes.js';
import { tempFolderMaker } from './temp-folder.js';

/** What a sweep removed. */
export interface Swept {
  containers: number;
  images: number;
  folders: number;
  /** The dead graders it cleaned up after. */
  pids: number[];
}

export { processAlive } from './processes.js';

/** Where a grader that handed its clean-up to a process of its own (hand-off.ts) names that process. */
const CLEANER_MARKER = /^stagecraft-cleaner-(\d+)$/;
export const cleanerMarker = (graderPid: number) => path.join(tmpdir(), `stagecraft-cleaner-${graderPid}`);

/** Whether a cleaner is still at work for a grader (its marker names it by pid and start time: a pid used again is not it). */
function cleanerAtWork(graderPid: number): boolean {
  try {
    return identityAlive(readFileSync(cleanerMarker(graderPid), 'utf8'));
  } catch {
    return false;
  }
}

/** A grader is gone when neither it nor the cleaner it handed its clean-up to is running. */
export function graderGone(pid: number): boolean {
  return !processAlive(pid) && !cleanerAtWork(pid);
}

/** The pid of the grader on this host that made a resource with these labels (another host's: undefined). */
export function graderPid(labels: Record<string, string> | undefined): number | undefined {
  const [host, pid] = (labels?.[GRADER_LABEL] ?? '').split('/');
  const n = Number(pid);
  // Another host's grader (a shared remote engine) is never judged from here.
  return host === hostname() && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The pid of a dead grader on this host that made a resource with these labels. */
function deadMaker(labels: Record<string, string> | undefined): number | undefined {
  const pid = graderPid(labels);
  return pid === undefined || !graderGone(pid) ? undefined : pid;
}

/** A grade image nobody asked to keep: only stagecraft-grade/* tags, or none at all. */
const gradeImageOnly = (tags: string[] | undefined) => (tags ?? []).every((t) => t.startsWith('stagecraft-grade/') || t === '<none>:<none>');

/**
 * A quick sweep lists the images anyway when the last listing here is a day old: a grade's
 * images can outlive its folder (an engine that would not remove them, a second Ctrl-C).
 */
const LISTED_STAMP = '.stagecraft-images-listed';
const LIST_AT_LEAST_EVERY_MS = 24 * 3600_000;

async function listingDue(): Promise<boolean> {
  const listed = await stat(path.join(tmpdir(), LISTED_STAMP)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Date.now() - listed > LIST_AT_LEAST_EVERY_MS;
}

/**
 * Remove what graders killed outright (SIGKILL, the OOM killer, a power cut) left behind:
 * their containers, grade images and temporary folders. Live graders — other batches on
 * this machine, other hosts on a shared engine — and images kept with --keep-image are
 * never touched. `quick` (a student's grade): the engine's images are listed only when a
 * dead grader left a container or a temporary folder here, or once a day. A grade removes
 * its folder after its images, and on the containerd image store the listing keeps the
 * engine busy 0.3 s.
 */
export async function sweepLeftovers(opts: { quick?: boolean } = {}): Promise<Swept> {
  const swept: Swept = { containers: 0, images: 0, folders: 0, pids: [] };
  const note = (pid: number) => swept.pids.includes(pid) || swept.pids.push(pid);

  const containers = await docker().listContainers({ all: true, filters: { label: [GRADER_LABEL] } });
  for (const c of containers) {
    const pid = deadMaker(c.Labels);
    if (pid === undefined) continue;
    await docker()
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
    swept.containers++;
    note(pid);
  }
  const deadFolders: { name: string; pid: number }[] = [];
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const pid = tempFolderMaker(name);
    if (pid !== undefined && graderGone(pid)) deadFolders.push({ name, pid });
    // A cleaner that died: the marker goes, what it did not remove is swept like a killed grader's.
    const handedBy = Number(CLEANER_MARKER.exec(name)?.[1] ?? 0);
    if (handedBy && graderGone(handedBy)) await rm(path.join(tmpdir(), name), { force: true });
  }
  if (!opts.quick || swept.pids.length || deadFolders.length || (await listingDue())) {
    const images = await docker().listImages({ filters: { label: [GRADER_LABEL] } });
    await writeFile(path.join(tmpdir(), LISTED_STAMP), '').catch(() => undefined);
    for (const image of images) {
      const pid = deadMaker(image.Labels);
      if (pid === undefined || !gradeImageOnly(image.RepoTags)) continue;
      await docker()
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
      swept.images++;
      note(pid);
    }
  }
  // The folders go last: one whose images are still there is how the next sweep knows to look.
  for (const { name, pid } of deadFolders) {
    await rm(path.join(tmpdir(), name), { recursive: true, force: true });
    swept.folders++;
    note(pid);
  }
  return swept;
}

/** One line for the user, or '' when there was nothing to sweep. */
export function describeSweep(s: Swept): string {
  const parts = (
    [
      [s.containers, 'container'],
      [s.images, 'image'],
      [s.folders, 'temporary folder'],
    ] as const
  )
    .filter(([n]) => n > 0)
    .map(([n, what]) => plural(n, what));
  if (!parts.length) return '';
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  const who =
    s.pids.length === 1
      ? `a grader that was stopped without cleaning up (pid ${s.pids[0]})`
      : `graders that were stopped without cleaning up (pids ${s.pids.join(', ')})`;
  return `removed ${list} left by ${who}`;
}
