import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CannotGrade } from '../engine/errors.js';

/**
 * The room's journal: every change to the room as one JSON line, appended before the change
 * is acknowledged. An append is one small write however large the room has grown; once it is
 * written the operating system holds it, so a room killed outright loses nothing it
 * acknowledged. The device is flushed (fdatasync) within SYNC_MS of a write, off the path of
 * an acknowledgement: under a busy disk one flush can take a second, which a student's post
 * cannot wait for. The whole database is written only now and then (a snapshot, store.ts),
 * after which the lines it holds are dropped. Changes that arrive while a write is under way
 * share the next one.
 */
/** A write reaches the device within this long (a power cut loses at most this much). */
export const SYNC_MS = 1000;

export interface Entry<T> {
  seq: number;
  change: T;
}

/** Write bytes so that the file holds either its old content or all of the new, even across a power cut. */
export async function writeDurably(file: string, bytes: Uint8Array | string): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  const handle = await open(partial, 'w', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, file);
  // The rename itself is on disk only once the folder is (not possible on Windows: skipped).
  const dir = await open(path.dirname(file), 'r').catch(() => undefined);
  if (dir)
    await dir
      .sync()
      .catch(() => undefined)
      .finally(() => dir.close());
}

const line = (seq: number, change: unknown) => `${JSON.stringify({ seq, change })}\n`;

export class Journal<T> {
  private handle: FileHandle | undefined;
  /** Lines added, not yet written. */
  private pending: { seq: number; text: string }[] = [];
  private waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Lines on disk since the last snapshot: what a rewrite keeps. */
  private written: { seq: number; text: string }[] = [];
  private bytes = 0;
  /** Every write to the file, one after another. */
  private chain: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(readonly file: string) {}

  /**
   * The entries on disk, oldest first. A last line cut short (the room was killed while writing
   * it) was never acknowledged and is left out; a damaged line before it is an error.
   */
  static async read<T>(file: string): Promise<Entry<T>[]> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CannotGrade(`cannot read the room's journal ${file}: ${(err as Error).message}`);
    }
    const lines = text.split('\n');
    lines.pop(); // after the last newline: empty, or a line cut short
    return lines.map((l, i) => {
      try {
        const entry = JSON.parse(l) as Entry<T>;
        if (typeof entry.seq === 'number' && entry.change) return entry;
      } catch {
        // reported below
      }
      throw new CannotGrade(`the room's journal ${file} is damaged at line ${i + 1}; move it away to open the room as it was at its last snapshot`);
    });
  }

  /** Bytes written since the last snapshot. */
  get size(): number {
    return this.bytes;
  }

  add(seq: number, change: T): void {
    this.pending.push({ seq, text: line(seq, change) });
  }

  /** Resolves once every line added so far is written (held by the operating system). */
  flush(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.chain = this.chain.then(() => this.writePending());
    }
    return done;
  }

  private async writePending(): Promise<void> {
    this.flushQueued = false; // what arrives from now on waits for the next flush
    const lines = this.pending.splice(0);
    const waiters = this.waiting.splice(0);
    try {
      if (lines.length) {
        this.handle ??= await open(this.file, 'a', 0o600);
        await this.handle.appendFile(lines.map((l) => l.text).join(''));
        this.written.push(...lines);
        this.bytes += lines.reduce((n, l) => n + l.text.length, 0);
        this.syncTimer ??= setTimeout(() => void this.sync(), SYNC_MS).unref();
      }
      waiters.forEach((w) => w.resolve());
    } catch (err) {
      this.pending.unshift(...lines); // kept for the next flush
      waiters.forEach((w) => w.reject(err as Error));
    }
  }

  /** What is written so far, to the device (after any flush already under way). */
  private sync(): Promise<void> {
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    const run = (this.syncing ?? Promise.resolve()).then(() => this.handle?.datasync()).catch(() => undefined);
    this.syncing = run;
    void run.finally(() => {
      if (this.syncing === run) this.syncing = undefined;
    });
    return run;
  }

  /** After a snapshot that holds every change up to `seq`: the journal keeps only the later ones. */
  dropUpTo(seq: number): Promise<void> {
    const rewrite = this.chain.then(async () => {
      await this.syncing;
      await this.handle?.close();
      this.handle = undefined;
      const kept = this.written.filter((l) => l.seq > seq);
      await writeDurably(this.file, kept.map((l) => l.text).join(''));
      this.written = kept;
      this.bytes = kept.reduce((n, l) => n + l.text.length, 0);
    });
    this.chain = rewrite.catch(() => undefined);
    return rewrite;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.sync();
    await this.handle?.close();
    this.handle = undefined;
  }
}
