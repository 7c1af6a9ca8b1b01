import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { processStartTime } from './processes.js';

/** A lock held this long is broken: what it guards takes milliseconds (`iptables-restore` waits 5 s at most). */
const STALE_MS = 30_000;
const RETRY_MS = 10;
const ATTEMPTS = STALE_MS / RETRY_MS + 100;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** What a lock file holds: `<pid> <start time>` (whose it is), then what makes this taking of it unique. */
const newToken = () => `${process.pid} ${processStartTime(process.pid)} ${threadId} ${randomBytes(6).toString('hex')}`;

const readLock = (lock: string): string | undefined => {
  try {
    return readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
};

/** One attempt: the lock file made exclusively, or one left by a process that died (or held it too long) broken. */
function tryTake(lock: string, token: string): boolean {
  try {
    writeFileSync(lock, token, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const held = readLock(lock);
  if (held === undefined) return false; // given back meanwhile: the next attempt takes it
  const [pid, started] = held.split(' ');
  let old = false;
  try {
    old = Date.now() - statSync(lock).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
  // Broken only while it is still that same taking: never one made since by another process.
  if ((old || (pid && processStartTime(Number(pid)) !== started)) && readLock(lock) === held) rmSync(lock, { force: true });
  return false;
}

/** Give the lock back, if it is still this taking's (one broken for its age may be another's by now). */
function release(lock: string, token: string): void {
  if (readLock(lock) === token) rmSync(lock, { force: true });
}

/**
 * One process at a time, across the machine's grader processes: `fn` runs holding `lock`, a
 * file made exclusively. Synchronous, as it is also taken in a process's `exit` handler.
 */
export function withLockSync<T>(lock: string, fn: () => T): T {
  mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  const token = newToken();
  for (let attempt = 0; !tryTake(lock, token); attempt++) {
    if (attempt > ATTEMPTS) throw new Error(`the lock ${lock} stayed taken`);
    sleep(RETRY_MS);
  }
  try {
    return fn();
  } finally {
    release(lock, token);
  }
}

/** As withLockSync, for work that awaits (the event loop goes on while the lock is waited for). */
export async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  const token = newToken();
  for (let attempt = 0; !tryTake(lock, token); attempt++) {
    if (attempt > ATTEMPTS) throw new Error(`the lock ${lock} stayed taken`);
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
  try {
    return await fn();
  } finally {
    release(lock, token);
  }
}

/**
 * In a process's `exit` handler: a lock this process took and will never give back (its
 * holder was awaiting, or was a worker thread that is gone) is given back now.
 */
export function dropOwnLock(lock: string): void {
  if (readLock(lock)?.startsWith(`${process.pid} `)) rmSync(lock, { force: true });
}
