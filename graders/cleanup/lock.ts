import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processStartTime } from './processes.js';

/** A lock whose maker has held it this long is broken: whatever it guards takes milliseconds. */
const STALE_MS = 10_000;
const RETRY_MS = 10;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** This process, as the lock file names it: `<pid> <start time>`. */
export const lockOwner = () => `${process.pid} ${processStartTime(process.pid)}`;

/** One attempt: the lock file made exclusively, or one left by a process that died (or held too long) broken. */
function tryTake(lock: string): boolean {
  try {
    writeFileSync(lock, lockOwner(), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let owner: string[] = [];
  let old = false;
  try {
    owner = readFileSync(lock, 'utf8').split(' ');
    old = Date.now() - statSync(lock).mtimeMs > STALE_MS;
  } catch {
    return false; // released meanwhile: the next attempt takes it
  }
  const [pid, started] = owner;
  if (old || (pid && processStartTime(Number(pid)) !== started)) rmSync(lock, { force: true });
  return false;
}

/**
 * One process at a time, across the machine's grader processes: `fn` runs holding `lock`, a
 * file made exclusively. Synchronous, as it is also taken in a process's `exit` handler.
 */
export function withLockSync<T>(lock: string, fn: () => T): T {
  mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  for (let attempt = 0; !tryTake(lock); attempt++) {
    if (attempt > STALE_MS / RETRY_MS + 100) throw new Error(`the lock ${lock} stayed taken`);
    sleep(RETRY_MS);
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** As withLockSync, for work that awaits (the event loop goes on while the lock is waited for). */
export async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  for (let attempt = 0; !tryTake(lock); attempt++) {
    if (attempt > STALE_MS / RETRY_MS + 100) throw new Error(`the lock ${lock} stayed taken`);
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * In a process's `exit` handler: a lock this process took and will never give back (its
 * holder was awaiting, or was a worker thread that is gone) is given back now.
 */
export function dropOwnLock(lock: string): void {
  try {
    if (readFileSync(lock, 'utf8').startsWith(`${process.pid} `)) rmSync(lock, { force: true });
  } catch {
    // no lock
  }
}
