import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAnswers } from '../../graders/engine/docker.js';
import { REPO_ROOT } from '../../graders/lab.js';
import { makeClass, type StudentSpec } from '../helpers/classroom.js';
import { runCli } from '../helpers/cli.js';
import { engineOrFail, leftovers } from '../helpers/engine.js';

const hostile = (file: string) => ({ from: 'text' as const, text: readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'hostile', `${file}.Dockerfile`), 'utf8') });
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
const HONEST_ROWS = ['alice,5,passed,5,5', 'carol,4,failed,4,5', 'dave,4,failed,4,5', 'frank,4,failed,4,5', 'grace,1,failed,1,5', 'heidi,4,failed,4,5', 'ivan,4,failed,4,5', 'judy,5,passed,5,5'];

let work: string;
let before: Awaited<ReturnType<typeof leftovers>>;

beforeAll(async () => {
  await engineOrFail();
  before = await leftovers();
  work = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-attack-'));
  // Two of ten submissions attack the grading machine while it builds: a memory hog (it
  // stops by itself at 3 GB) and a disk filler (it stops by itself at 6 GB).
  await makeClass(path.join(work, 'class'), { ...HONEST, mallory: { labs: { 'lab1-go': hostile('build-memory-hog') } }, trudy: { labs: { 'lab1-go': hostile('build-disk-filler') } } });
});

afterAll(async () => {
  const after = await leftovers();
  const added = (key: keyof typeof after) => after[key].filter((x) => !before[key].includes(x));
  await rm(work, { recursive: true, force: true });
  expect({ containers: added('containers'), images: added('images'), tempDirs: added('tempDirs') }).toEqual({ containers: [], images: [], tempDirs: [] });
});

describe('a batch under attack', () => {
  it('grades the honest eight exactly as a class without the two hostile builds, at --concurrency 2', async () => {
    const out = path.join(work, 'out');
    const r = runCli(['batch', path.join(work, 'class'), '--labs', 'lab1', '--concurrency', '2', '--min-free', '1', '--build-memory', '1g', '--build-disk', '1GB', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^10 students: graded 10, not submitted 0, could not grade 0\n/);
    const rows = (await readFile(path.join(out, 'gradebook.csv'), 'utf8')).trim().split('\n').slice(1);
    expect(rows.filter((row) => !/^(mallory|trudy),/.test(row))).toEqual(HONEST_ROWS);

    // The two attacks end as failed builds, each stopped by the limit it went past.
    const book = JSON.parse(await readFile(path.join(out, 'gradebook.json'), 'utf8')) as { students: { student: string; cells: Record<string, { result?: { checks: { id: string; message: string }[] } }> }[] };
    const builds = (student: string) => book.students.find((s) => s.student === student)!.cells['lab1-go']!.result!.checks.find((c) => c.id === 'builds')!.message;
    expect(builds('mallory')).toMatch(/^`RUN head -c 3000M .*` \(Dockerfile line 4\) was stopped: it used more than 1 GiB of memory$/);
    expect(builds('trudy')).toMatch(/^`RUN head -c 6000M .*` \(Dockerfile line 4\) was stopped: it wrote more than 1 GB to disk$/);
    expect(await engineAnswers()).toBe(true);
  });
});
