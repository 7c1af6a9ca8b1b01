import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onInterrupt } from './on-interrupt.js';

/** The kinds of temporary folder a grader makes: a build context, a staged submission. */
export type TempKind = 'grade' | 'batch';

export interface TempFolder {
  dir: string;
  /** Remove the folder (idempotent). */
  remove(): Promise<void>;
}

/**
 * A fresh folder under the system temp folder, named `stagecraft-<kind>-<pid>-XXXXXX` so
 * that a later grader can tell whether its maker is still alive (see leftovers.ts). Its
 * removal is registered the moment it exists, so an interrupt at any point removes it.
 */
export async function makeTempFolder(kind: TempKind): Promise<TempFolder> {
  const dir = await mkdtemp(path.join(tmpdir(), `stagecraft-${kind}-${process.pid}-`));
  const release = onInterrupt(() => removeFolder(dir));
  return {
    dir,
    async remove() {
      await removeFolder(dir);
      release();
    },
  };
}

/**
 * Remove a folder that something may still be writing into (an interrupt lands while the
 * build context is being copied): renamed first, the copy's next write fails instead of
 * refilling it, and the removal retries past a file that landed in between.
 */
export async function removeFolder(dir: string): Promise<void> {
  const doomed = `${dir}.removing`;
  const target = await rename(dir, doomed).then(
    () => doomed,
    () => dir, // already gone, or being removed by another call
  );
  await rm(target, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
}

/** The process that made a temporary folder, from its name; undefined for any other name. */
export function tempFolderMaker(name: string): number | undefined {
  const m = /^stagecraft-(?:grade|batch)-(\d+)-[A-Za-z0-9]{6}(?:\.removing)?$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
