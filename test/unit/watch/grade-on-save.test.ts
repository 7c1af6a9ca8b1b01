import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { SAVE_SETTLE_MS, watchAndGrade } from '../../../graders/watch/grade-on-save.js';

const FAKE = path.join(REPO_ROOT, 'test', 'fixtures', 'watch', 'fake-grade.ts');

async function until(ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('grade --watch keeps the next grade ready', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts it while the student edits, tells it to grade on a save, and ends it with the watcher', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-watch-'));
    const file = path.join(dir, 'Dockerfile');
    const log = path.join(dir, 'log');
    await writeFile(file, 'FROM scratch\n');
    await writeFile(log, '');
    const events = async () =>
      (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [what, pid, at] = l.split(' ');
          return { what: what!, pid: Number(pid), at: Number(at) };
        });
    const count = async (what: string) => (await events()).filter((e) => e.what === what).length;
    let stop!: () => void;
    const watching = watchAndGrade({
      files: [file],
      command: [process.execPath, '--import', 'tsx', FAKE, log],
      debounceMs: 20,
      log: () => undefined,
      until: new Promise<void>((r) => (stop = r)),
    });

    // The first grade; then the next one is started and gets ready, untold.
    await until(async () => (await count('graded')) === 1 && (await count('ready')) === 2);
    const spare = (await events()).filter((e) => e.what === 'ready')[1]!;
    expect(await count('graded')).toBe(1);

    // A save: the one kept ready grades, at once.
    const saved = Date.now();
    await writeFile(file, 'FROM scratch\nENV A=1\n');
    await until(async () => (await count('graded')) === 2);
    const graded = (await events()).filter((e) => e.what === 'graded')[1]!;
    expect(graded.pid).toBe(spare.pid);
    expect(spare.at).toBeLessThan(saved);

    // The watcher ends: the grade it kept ready since ends too.
    await until(async () => (await count('ready')) === 3);
    const third = (await events()).filter((e) => e.what === 'ready')[2]!;
    stop();
    await watching;
    await until(async () => !alive(third.pid), 10_000);
    expect(await count('graded')).toBe(2);
  }, 60_000);
});

describe('README', () => {
  it('says how close together saves are one, as the watcher counts it', async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`(saves within ${SAVE_SETTLE_MS / 1000} s are one)`);
  });
});
