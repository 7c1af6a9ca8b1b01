import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setPriority } from 'node:os';
import path from 'node:path';
import { docker, isNotFound, removeImage } from '../engine/docker.js';
import { REPO_ROOT } from '../kit/locations.js';
import { cleanerMarker } from './leftovers.js';
import { processIdentity } from './processes.js';
import { removeFolder } from './temp-folder.js';

/**
 * A finished grade's clean-up, handed to a process of its own so that the prompt comes back
 * with the verdict: removing the container alone keeps the engine 0.3 s. `stagecraft grade`
 * prints its report, gives what the grade made to a detached `stagecraft finish-grade`, and
 * exits; the cleaner removes them in the grade's own order (container, images, folder), then
 * sweeps what killed graders left. While it works, a marker in the temporary folder names it,
 * so a sweep meanwhile takes the grader for alive; a cleaner that dies leaves its grader's
 * things to the next sweep, as a killed grader does. The command line also makes the cleaner
 * a holder of the firewall rules (run/network.ts): the last holder out removes them, under a
 * lock that the next grade's check that they are in place also takes.
 */
export interface HandedOff {
  /** The grader that made them (its resources carry its pid). */
  graderPid: number;
  containers: string[];
  images: string[];
  folders: string[];
  /** The grader's firewall rules are handed over too (run/network.ts): let go of once the grader is gone. */
  rules?: boolean;
}

/** The command line, as `npm run grade` and `npx stagecraft` start it. */
const BIN = path.join(REPO_ROOT, 'bin', 'stagecraft.mjs');

/** Start the cleaner: its pid, or undefined when it could not be started (the grade then cleans up itself). */
export async function handOff(left: Omit<HandedOff, 'graderPid'>): Promise<number | undefined> {
  const work: HandedOff = { graderPid: process.pid, ...left };
  try {
    const child = spawn(process.execPath, [BIN, 'finish-grade', JSON.stringify(work)], { detached: true, stdio: 'ignore', windowsHide: true });
    child.on('error', () => undefined); // reported through `pid`, below
    if (child.pid === undefined) return undefined;
    child.unref();
    try {
      // At once, not queued behind the file system's busy threads: the prompt waits for it (30 ms it did).
      writeFileSync(cleanerMarker(process.pid), processIdentity(child.pid));
    } catch {
      child.kill(); // unnamed, a sweep could take the grade for a killed grader's: the grade cleans up itself
      return undefined;
    }
    // Work in the background, after what the student does next: the grader's own exit first.
    try {
      setPriority(child.pid, 10);
    } catch {
      // not allowed here: it works at the grader's priority
    }
    return child.pid;
  } catch {
    return undefined;
  }
}

/** The cleaner's work: remove what the grader handed over, run `then` (the sweep), and take the marker down. */
export async function finishHandedOff(work: HandedOff, then: () => Promise<unknown>): Promise<void> {
  try {
    // The grader's removal of its container may still be under way in the engine (it goes on without the grader).
    await Promise.all(work.containers.map((id) => removeContainer(id).catch(() => undefined)));
    await Promise.all(work.images.map((ref) => removeImage(ref).catch(() => undefined)));
    // The folder last: while the images exist, so does the folder by which a sweep knows to look for them.
    await Promise.all(work.folders.map((dir) => removeFolder(dir).catch(() => undefined)));
    await then().catch(() => undefined);
  } finally {
    await rm(cleanerMarker(work.graderPid), { force: true });
  }
}

/** Remove a container, waiting out a removal already in progress (409) until it is gone. */
async function removeContainer(id: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    try {
      await docker().getContainer(id).remove({ force: true, v: true });
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
  }
}
