import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dropOwnLock, withLockSync } from '../cleanup/lock.js';
import { processStartTime as startTime } from '../cleanup/processes.js';
import { ceilingFor, readCeiling, usageOf, writeCeiling, type Ceiling, type CgroupDirs } from './cgroups.js';

/**
 * The kernel's ceiling on BuildKit's parent group while grades build: every step is born
 * under it, so a step the fence has not found yet (a busy machine, a frozen grader) is
 * still limited. Several grader processes may share one engine (a batch and a teacher's
 * single grade), so the ceiling is reference-counted across processes: each holder writes
 * what its running grades may use into a folder of its own, the ceiling is the sum of all
 * holders' needs plus room for builds that are not graded, and the last holder out puts
 * back the limits the parent had before the first came in (kept in a file, so a grader
 * that was killed leaves them for the next one to restore). Synchronous on purpose: it is
 * small, runs in the fence's worker, and must also run in a process's `exit` handler.
 */

/** Room left for the engine's builds that are not graded (another user's `docker build`) while grades run. */
export const NOT_GRADED_ROOM = { memoryBytes: 2 ** 30, pids: 256 };

export interface Need {
  memoryBytes: number;
  pids: number;
}

interface Saved {
  parent: string;
  before: Ceiling;
}

export class SharedCeiling {
  private readonly dir: string;
  private readonly me: string;
  private held = false;

  constructor(
    private readonly parent: CgroupDirs,
    /** Where holders meet: one folder per parent group (tests use a temporary folder). */
    root = defaultRoot(),
    private readonly room: Need = NOT_GRADED_ROOM,
  ) {
    const key = parent.controllers.memory?.dir ?? parent.controllers.pids?.dir ?? '';
    this.dir = path.join(root, createHash('sha256').update(key).digest('hex').slice(0, 16));
    this.me = `holder-${process.pid}-${startTime(process.pid) ?? '0'}.json`;
  }

  /** Hold (or change) this process's need; the parent's ceiling becomes everyone's. Throws when it cannot be written. */
  hold(need: Need): Ceiling {
    return this.locked(() => {
      const holders = this.liveHolders();
      const savedFile = path.join(this.dir, 'saved.json');
      if (!this.readSaved()) {
        const saved: Saved = { parent: this.parent.controllers.memory?.dir ?? '', before: readCeiling(this.parent) };
        writeFileSync(savedFile, JSON.stringify(saved));
      }
      writeFileSync(path.join(this.dir, this.me), JSON.stringify(need));
      this.held = true;
      holders.set(this.me, need);
      return this.apply(holders);
    });
  }

  /** This process needs nothing more: the ceiling shrinks, or, for the last holder, the parent's earlier limits come back. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.locked(() => {
      rmSync(path.join(this.dir, this.me), { force: true });
      const holders = this.liveHolders();
      if (holders.size > 0) {
        this.apply(holders);
        return;
      }
      const saved = this.readSaved();
      if (saved) writeCeiling(this.parent, saved.before);
      rmSync(path.join(this.dir, 'saved.json'), { force: true });
    });
  }

  /**
   * In a process's `exit` handler: give back this process's share whether or not this
   * object took it (the worker that did is gone), breaking a lock the worker left taken.
   */
  releaseOnExit(): void {
    dropOwnLock(path.join(this.dir, 'lock'));
    this.held = true;
    try {
      this.release();
    } catch {
      // nothing more can be done on the way out; the next grader restores the parent
    }
  }

  /** The ceiling for these holders: their needs together, and room for builds that are not graded. */
  private apply(holders: Map<string, Need>): Ceiling {
    const sum = [...holders.values()].reduce((a, b) => ({ memoryBytes: a.memoryBytes + b.memoryBytes, pids: a.pids + b.pids }), { memoryBytes: 0, pids: 0 });
    const want = { memoryBytes: sum.memoryBytes + this.room.memoryBytes, pids: sum.pids + this.room.pids };
    try {
      const c = ceilingFor(this.parent, want);
      writeCeiling(this.parent, c);
      return c;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
      // Builds already running hold more than that and the kernel cannot reclaim it:
      // the graded steps' needs on top of what is held now.
      const c = ceilingFor(this.parent, { memoryBytes: usageOf(this.parent) + sum.memoryBytes, pids: want.pids });
      writeCeiling(this.parent, c);
      return c;
    }
  }

  private readSaved(): Saved | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.dir, 'saved.json'), 'utf8')) as Saved;
    } catch {
      return undefined;
    }
  }

  /** Holders whose process still runs; the files of those that died without releasing are removed. */
  private liveHolders(): Map<string, Need> {
    const live = new Map<string, Need>();
    for (const name of readdirSync(this.dir)) {
      const m = /^holder-(\d+)-(\d+)\.json$/.exec(name);
      if (!m) continue;
      if (name !== this.me && startTime(Number(m[1])) !== m[2]) {
        rmSync(path.join(this.dir, name), { force: true });
        continue;
      }
      try {
        live.set(name, JSON.parse(readFileSync(path.join(this.dir, name), 'utf8')) as Need);
      } catch {
        // half written by a holder that died: it is gone now
      }
    }
    return live;
  }

  /** One holder at a time, across processes and the fence's worker thread. */
  private locked<T>(fn: () => T): T {
    return withLockSync(path.join(this.dir, 'lock'), fn);
  }
}

/** /run/stagecraft where the grader may write it (root, as the fence needs), else the temporary folder. */
function defaultRoot(): string {
  for (const root of ['/run/stagecraft/build-ceiling', path.join(tmpdir(), 'stagecraft-build-ceiling')]) {
    try {
      mkdirSync(root, { recursive: true, mode: 0o700 });
      return root;
    } catch {
      // not writable: the next
    }
  }
  return path.join(tmpdir(), 'stagecraft-build-ceiling');
}
