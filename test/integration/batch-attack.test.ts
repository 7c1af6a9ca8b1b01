import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAnswers } from '../../graders/engine/docker.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { makeClass, type StudentSpec } from '../helpers/classroom.js';
import { BIN, runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';
import { engineOrFail, leftBehind, NOTHING_LEFT } from '../helpers/engine.js';

const hostile = (file: string) => ({
  from: 'text' as const,
  text: readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'hostile', `${file}.Dockerfile`), 'utf8'),
});
const fixture = (file: string) => ({ labs: { 'lab1-go': { from: 'fixture' as const, file } } });

/** Eight honest lab 1 submissions with small images (so the batch stays quick): a solution and seven known mistakes. */
const HONEST: Record<string, StudentSpec> = {
  alice: { labs: { 'lab1-go': { from: 'solution' } } },
  carol: fixture('cgo-in-scratch'),
  dave: fixture('debian-final'),
  frank: fixture('sources-in-final'),
  grace: fixture('compile-error'),
  heidi: fixture('index-copy'),
  ivan: fixture('fake-stamp'),
  judy: fixture('distroless-syntax'),
};

/**
 * The honest eight's rows, as a batch of only them grades them (measured once with the
 * same command and flags; the lab 1 suite pins each fixture's checks).
 */
const HONEST_ROWS = [
  'alice,5,passed,5,5',
  'carol,4,failed,4,5',
  'dave,4,failed,4,5',
  'frank,4,failed,4,5',
  'grace,1,failed,1,5',
  'heidi,4,failed,4,5',
  'ivan,4,failed,4,5',
  'judy,5,passed,5,5',
];

let work: string;
let since: Awaited<ReturnType<typeof leftBehind>>;

beforeAll(async () => {
  await engineOrFail();
  since = await leftBehind();
  work = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-attack-'));
  // Two of ten submissions attack the grading machine while it builds: a memory hog (it
  // stops by itself at about 2 GiB) and a disk filler (it stops by itself at 6 GB).
  await makeClass(path.join(work, 'class'), {
    ...HONEST,
    mallory: { labs: { 'lab1-go': hostile('build-memory-hog') } },
    trudy: { labs: { 'lab1-go': hostile('build-disk-filler') } },
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  expect(await since.added()).toEqual(NOTHING_LEFT);
});

describe('a batch under attack', () => {
  it('grades the honest eight exactly as a class without the two hostile builds, at --concurrency 2', async () => {
    const out = path.join(work, 'out');
    const r = runCli([
      'batch',
      path.join(work, 'class'),
      '--labs',
      'lab1',
      '--concurrency',
      '2',
      '--min-free',
      '1',
      '--build-memory',
      '1g',
      '--build-disk',
      '1GB',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^10 students: graded 10, not submitted 0, could not grade 0\n/);
    const rows = (await readFile(path.join(out, 'gradebook.csv'), 'utf8')).trim().split('\n').slice(1);
    expect(rows.filter((row) => !/^(mallory|trudy),/.test(row))).toEqual(HONEST_ROWS);

    // The two attacks end as failed builds, each stopped by the limit it went past.
    const book = JSON.parse(await readFile(path.join(out, 'gradebook.json'), 'utf8')) as {
      students: { student: string; cells: Record<string, { result?: { checks: { id: string; message: string }[] } }> }[];
    };
    const builds = (student: string) =>
      book.students.find((s) => s.student === student)!.cells['lab1-go']!.result!.checks.find((c) => c.id === 'builds')!.message;
    expect(builds('mallory')).toMatch(/^`RUN awk .*` \(Dockerfile line 5\) was stopped: it used more than 1 GiB of memory$/);
    expect(builds('trudy')).toMatch(/^`RUN head -c 6000M .*` \(Dockerfile line 4\) was stopped: it wrote more than 1 GB to disk$/);
    expect(await engineAnswers()).toBe(true);
  });
});

describe('a batch guards the machine it runs on', () => {
  it('refuses to start, in one line, where build limits cannot be applied, unless --allow-unlimited-builds', async () => {
    // A grader in a PID namespace of its own (as in a container with the engine's socket)
    // cannot see the engine's build steps, so it cannot limit them.
    const dir = path.join(work, 'unlimited');
    await makeClass(path.join(dir, 'class'), { nobody: { labs: {} } });
    const inOwnPidNamespace = (...args: string[]) =>
      spawnSync(
        'unshare',
        ['--pid', '--fork', '--mount-proc', process.execPath, BIN, 'batch', path.join(dir, 'class'), '--labs', 'lab1', '--min-free', '1', ...args],
        {
          encoding: 'utf8',
          env: { ...process.env, CI: '1', NO_COLOR: '1' },
          timeout: 120_000,
        },
      );
    const refused = inOwnPidNamespace('--out', path.join(dir, 'refused'));
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr.trim()).toMatch(
      /^error: build limits are off: the engine's build steps do not run on this machine, or not where the grader can see them; .*: a batch does not start without them \(add --allow-unlimited-builds to grade anyway\)$/,
    );
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    const allowed = inOwnPidNamespace('--out', path.join(dir, 'allowed'), '--allow-unlimited-builds');
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/build limits are off: /);
    expect(allowed.stdout).toMatch(/^1 students: graded 0, not submitted 1, could not grade 0\n/);
  });

  it('stops taking grades when the disk fills up mid-batch (exit 2), and --resume finishes', async () => {
    // The batch's temporary folder on a 64 MB file system of its own, which the test fills
    // once the first grade is saved.
    const dir = path.join(work, 'disk');
    const small = path.join(dir, 'tmp');
    await mkdir(small, { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'stagecraft-test', small]).status).toBe(0);
    try {
      // Lab 4's solution: it builds in seconds from a cold cache (each student has a cache of their own).
      await makeClass(
        path.join(dir, 'class'),
        Object.fromEntries(['ann', 'ben', 'cat', 'dan', 'eve'].map((n) => [n, { labs: { 'lab4-java': { from: 'solution' } } }])),
      );
      const out = path.join(dir, 'out');
      const args = ['batch', path.join(dir, 'class'), '--labs', 'lab4', '--concurrency', '1', '--min-free', '0.04', '--out', out];
      const child = startCli(args, { TMPDIR: small }, ['ignore', 'ignore', 'pipe']);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const saved = async () =>
        (await readdir(path.join(out, 'results'), { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).length;
      await until(async () => (await saved()) >= 1, 300_000);
      await writeFile(path.join(small, 'filler'), Buffer.alloc(36 * 2 ** 20)); // 28 MB left: under --min-free
      expect(await exited, stderr).toBe(2);
      expect(stderr).toMatch(/stopped taking grades: only \d+(\.\d+)? MB free on the disk holding .*\/tmp; a batch needs at least 40 MB/);
      expect(stderr).toMatch(/grade\(s\) could not be done; the batch stopped taking grades: .*; then run the same command with --resume/);
      const kept = await saved();
      expect(kept).toBeGreaterThanOrEqual(1);
      expect(kept).toBeLessThan(5);

      await rm(path.join(small, 'filler'));
      const resumed = runCli([...args, '--resume'], { TMPDIR: small });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(await readFile(path.join(out, 'gradebook.csv'), 'utf8')).toBe(
        'student,lab4-java,lab4-java status,total,max\nann,5,passed,5,5\nben,5,passed,5,5\ncat,5,passed,5,5\ndan,5,passed,5,5\neve,5,passed,5,5\n',
      );
    } finally {
      spawnSync('umount', [small]);
    }
  });
});
