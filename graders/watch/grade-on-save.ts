import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { onInterrupt } from '../cleanup/on-interrupt.js';
import { shownPath } from '../format/path.js';

export interface WatchRequest {
  /** The files whose saving starts a grade: the Dockerfile under test first, then its .dockerignore files. */
  files: string[];
  /** The grade to run each time (a `stagecraft grade …` without --watch), as a command and its arguments. */
  command: string[];
  /** Saves closer together than this are one save (editors write a file in several steps). */
  debounceMs?: number;
  /** Where the watcher's own lines go (the grade writes to the terminal itself). */
  log?: (line: string) => void;
  /** Resolves when watching should end (tests); Ctrl-C ends it otherwise. */
  until?: Promise<unknown>;
}

/** What the watched files hold now: a grade of the same bytes is not run twice in a row. */
async function signature(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const f of files)
    hash
      .update(f)
      .update('\0')
      .update(await readFile(f).catch(() => Buffer.from('(none)')))
      .update('\0');
  return hash.digest('hex');
}

const clock = () => new Date().toTimeString().slice(0, 8);

/** Saves closer together than this are one (README says it in seconds). */
export const SAVE_SETTLE_MS = 100;

/** Set in a grade process the watcher starts ahead of the next save: it gets ready, then waits to be told. */
const WHEN_TOLD = 'STAGECRAFT_GRADE_WHEN_TOLD';

/**
 * In a grade the watcher started ahead: get ready (load, find the engine) while the student
 * edits, say so, and resolve once told to grade (a save); when the watcher goes away
 * instead, end quietly. Anywhere else: resolves at once.
 */
export async function toldToGrade(getReady: () => Promise<unknown>): Promise<void> {
  if (!process.env[WHEN_TOLD] || !process.send) return;
  delete process.env[WHEN_TOLD];
  await getReady().catch(() => undefined); // what failed fails again, and is said, in the grade
  if (!process.connected) process.exit(0); // the watcher ended while this got ready
  const gone = () => process.exit(0);
  process.once('disconnect', gone);
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!('ready');
  });
  process.off('disconnect', gone);
  process.disconnect(); // the grade runs on its own now; an open channel would keep the process alive
}

/**
 * `grade --watch`: grade now, then again each time the Dockerfile or its .dockerignore is
 * saved. Each grade is a `stagecraft grade` process of its own, in its own process group:
 * a save while one runs stops it with SIGTERM, and its own clean-up removes its image,
 * container and temporary folder before the next grade starts; Ctrl-C reaches only the
 * watcher, which stops the running grade the same way and ends. The next grade's process
 * starts as soon as one ends, gets ready (loaded, the engine found) and waits: a save
 * only tells it to grade, so the student does not wait for a process to start.
 */
export async function watchAndGrade(req: WatchRequest): Promise<void> {
  const log = req.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const debounceMs = req.debounceMs ?? SAVE_SETTLE_MS;
  const shown = shownPath(req.files[0]!);
  let running: { child: ChildProcess; exited: Promise<void>; cancelled: boolean } | undefined;
  /** The next grade, started ahead and ready: a save only has to tell it. */
  let spare: { child: ChildProcess; ready: Promise<boolean> } | undefined;
  let lastGraded = '';
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let queue = Promise.resolve();

  const stopRunning = async () => {
    const current = running;
    if (!current) return;
    current.cancelled = true;
    // The grade's own handler removes its image, container and folder, then exits.
    current.child.kill('SIGTERM');
    await current.exited;
  };

  const startAhead = () => {
    const child = spawn(req.command[0]!, req.command.slice(1), {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: { ...process.env, [WHEN_TOLD]: '1' },
    });
    const ready = new Promise<boolean>((resolve) => {
      child.once('message', () => resolve(true));
      child.once('exit', () => resolve(false));
    });
    return { child, ready };
  };

  const start = async (why: string) => {
    lastGraded = await signature(req.files);
    log(pc.dim(`── ${clock()} · ${why} ──`));
    let next = spare ?? startAhead();
    spare = undefined;
    if (!(await next.ready)) next = startAhead(); // the one kept ready is gone (killed from outside): a new one
    await next.ready;
    const child = next.child;
    if (child.connected) child.send('grade');
    const run = { child, cancelled: false, exited: Promise.resolve() };
    run.exited = new Promise<void>((resolve) => {
      const ended = (code: number | null, signal: NodeJS.Signals | null) => {
        if (running === run) running = undefined;
        if (run.cancelled) log(pc.yellow(`✗ that grade was stopped (${signal ?? `exit ${code}`}); its image, container and temporary folder were removed`));
        else if (!stopping) log(pc.dim(`watching ${shown} and its .dockerignore: save to grade again, Ctrl-C to stop`));
        if (!stopping) spare ??= startAhead(); // the next grade gets ready while the student edits
        resolve();
      };
      // A process that ended before it was ready (it crashed at start) has no exit left to wait for.
      if (child.exitCode !== null || child.signalCode !== null) ended(child.exitCode, child.signalCode);
      else child.once('exit', ended);
    });
    running = run;
  };

  const onSave = () => {
    if (stopping) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      queue = queue.then(async () => {
        if (stopping) return;
        const now = await signature(req.files);
        if (!running && now === lastGraded) {
          log(pc.dim(`${clock()} · saved, unchanged since the last grade`));
          return;
        }
        if (running) log(pc.yellow(`${clock()} · saved while a grade was running: stopping it`));
        await stopRunning();
        if (!stopping) await start(`saved: grading again`);
      });
    }, debounceMs);
  };

  // Watch the folders, not the files: editors save by writing a new file and renaming it.
  const names = new Map<string, Set<string>>();
  for (const f of req.files) {
    const dir = path.dirname(f);
    names.set(dir, (names.get(dir) ?? new Set()).add(path.basename(f)));
  }
  const watchers: FSWatcher[] = [...names].map(([dir, files]) => watch(dir, (_event, name) => name && files.has(name.toString()) && onSave()));

  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const stop = async () => {
    stopping = true;
    clearTimeout(timer);
    for (const w of watchers) w.close();
    await queue;
    await stopRunning();
    if (spare?.child.connected)
      spare.child.disconnect(); // a grade kept ready ends by itself when its watcher leaves
    else spare?.child.kill('SIGKILL');
    spare = undefined;
    finish();
  };
  const release = onInterrupt(stop);
  void req.until?.then(stop);

  await start(`grading ${shown}`);
  await finished;
  release();
}
