import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropOwnLock, withLock, withLockSync } from '../../../graders/cleanup/lock.js';
import { processIdentity } from '../../../graders/cleanup/processes.js';

const me = () => `${processIdentity(process.pid)} `;

const dir = mkdtempSync(path.join(tmpdir(), 'stagecraft-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockFile = () => path.join(dir, `lock-${n++}`);

/** A process that lives until killed: a lock it holds is a live holder's. */
function liveProcess() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return { identity: processIdentity(child.pid!), end: () => child.kill() };
}

describe('a lock between grader processes', () => {
  it('is held while its work runs, by this process, and given back after', () => {
    const lock = lockFile();
    const seen = withLockSync(lock, () => readFileSync(lock, 'utf8'));
    expect(seen.startsWith(me())).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('is given back when its work throws', async () => {
    const lock = lockFile();
    await expect(
      withLock(lock, async () => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(existsSync(lock)).toBe(false);
  });

  it('waits while a live process holds it, and goes on once that process gives it back', async () => {
    const lock = lockFile();
    const holder = liveProcess();
    try {
      writeFileSync(lock, holder.identity);
      const t0 = Date.now();
      setTimeout(() => rmSync(lock), 300);
      await withLock(lock, async () => undefined);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      holder.end();
    }
  });

  it('breaks a lock whose maker died, and one held longer than anything it guards takes', async () => {
    const dead = lockFile();
    writeFileSync(dead, '999999999 1');
    expect(withLockSync(dead, () => 'taken')).toBe('taken');

    const old = lockFile();
    const holder = liveProcess();
    try {
      writeFileSync(old, holder.identity);
      utimesSync(old, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      expect(await withLock(old, async () => 'taken')).toBe('taken');
    } finally {
      holder.end();
    }
  });

  it('given back late, it leaves alone the lock another process took since', async () => {
    const lock = lockFile();
    await withLock(lock, async () => writeFileSync(lock, `${process.ppid} 1 0 theirs`)); // broken and taken meanwhile
    expect(readFileSync(lock, 'utf8')).toBe(`${process.ppid} 1 0 theirs`);
  });

  it("on the way out, a process gives back its own lock and leaves another's", () => {
    const mine = lockFile();
    writeFileSync(mine, `${me()}0 mine`);
    dropOwnLock(mine);
    expect(existsSync(mine)).toBe(false);

    const theirs = lockFile();
    writeFileSync(theirs, `${process.ppid} 1`);
    dropOwnLock(theirs);
    expect(existsSync(theirs)).toBe(true);
  });
});
