import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGradebook, toCsv, toSummary } from '../../../graders/batch/gradebook.js';
import { toHtml } from '../../../graders/batch/gradebook-html.js';
import { safeName, type GradeRecord } from '../../../graders/batch/records.js';
import { parseShard, studentsInShard } from '../../../graders/batch/shard.js';
import { listStudents, readSubmission } from '../../../graders/batch/submissions.js';
import type { GradeResult } from '../../../graders/pipeline/result.js';
import { toMarkdown } from '../../../graders/report/markdown.js';
import { tempFolder } from '../../helpers/folder.js';

function result(lab: string, score: number, max: number, size = 5_000_000): GradeResult {
  const checks = Array.from({ length: max }, (_, i) => ({
    id: (['builds', 'multi-stage', 'size', 'no-toolchain', 'runs'] as const)[i % 5]!,
    title: 't',
    passed: i < score,
    skipped: false,
    message: i < score ? 'fine' : 'found <gcc> | here',
    hint: 'h',
    slide: 's',
    details: {},
  }));
  return {
    lab,
    dockerfile: 'Dockerfile',
    passed: score === max,
    score,
    maxScore: max,
    image: { size, standInBases: [] },
    checks,
    notes: [],
    durationMs: 1,
    timings: {},
  };
}

const rec = (student: string, lab: string, over: Partial<GradeRecord> = {}): GradeRecord => ({
  student,
  lab,
  status: 'graded',
  result: result(lab, 5, 5),
  finishedAt: '2026-11-22T10:00:00Z',
  ...over,
});
const LABS = [
  { id: 'lab1-go', maxScore: 5 },
  { id: 'lab4-java', maxScore: 5 },
];

describe('shards', () => {
  it('parses K/N and refuses anything else in one line', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '3', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/^--shard takes K\/N/);
  });

  it('splits the students into disjoint shards that cover them all, sizes differing by one at most', () => {
    const students = ['g', 'a', 'e', 'c', 'b', 'f', 'd'].map((name) => ({ name }));
    const shards = [1, 2, 3].map((index) => studentsInShard(students, { index, count: 3 }).map((s) => s.name));
    expect(shards.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(shards.map((s) => s.length)).toEqual([3, 2, 2]);
    expect(studentsInShard([...students].reverse(), { index: 1, count: 3 }).map((s) => s.name)).toEqual(shards[0]);
  });
});

describe('gradebook', () => {
  it('has a row per student, a score and status per lab, and totals', () => {
    const book = buildGradebook(
      [
        rec('bob', 'lab1-go', { result: result('lab1-go', 2, 5) }),
        rec('alice', 'lab1-go'),
        rec('alice', 'lab4-java'),
        rec('bob', 'lab4-java', { status: 'not-submitted', result: undefined, reason: 'no labs/lab4-java/Dockerfile' }),
      ],
      LABS,
    );
    expect(toCsv(book)).toBe(
      'student,lab1-go,lab1-go status,lab4-java,lab4-java status,total,max\nalice,5,passed,5,passed,10,10\nbob,2,failed,0,not submitted,2,10\n',
    );
  });

  it('prefers a final grade over "could not grade", and the later of two final grades', () => {
    const lost = rec('alice', 'lab1-go', { status: 'could-not-grade', result: undefined, reason: 'engine gone', finishedAt: '2026-11-22T12:00:00Z' });
    const early = rec('alice', 'lab1-go', { result: result('lab1-go', 3, 5), finishedAt: '2026-11-22T09:00:00Z' });
    const late = rec('alice', 'lab1-go', { result: result('lab1-go', 4, 5), finishedAt: '2026-11-22T11:00:00Z' });
    for (const order of [
      [lost, early, late],
      [late, lost, early],
      [early, late, lost],
    ]) {
      expect(buildGradebook(order, LABS).rows[0]!.total).toBe(4);
    }
  });

  it('quotes CSV fields and defuses spreadsheet formulas in student names', () => {
    const csv = toCsv(buildGradebook([rec('=cmd|calc', 'lab1-go'), rec('o"neil, jr', 'lab1-go')], LABS.slice(0, 1)));
    expect(csv).toContain(`'=cmd|calc,5,passed`);
    expect(csv).toContain('"o""neil, jr",5,passed');
  });

  it('lists grades that could not be done in the summary, and the smallest passing images', () => {
    const book = buildGradebook(
      [
        rec('alice', 'lab1-go', { result: result('lab1-go', 5, 5, 9_000_000) }),
        rec('bob', 'lab1-go', { result: result('lab1-go', 5, 5, 6_000_000) }),
        rec('carol', 'lab1-go', { status: 'could-not-grade', result: undefined, reason: 'no Docker engine answers' }),
      ],
      LABS.slice(0, 1),
    );
    const md = toSummary(book);
    expect(md).toMatch(/## Could not grade .*\n\n- carol · lab1-go: no Docker engine answers/);
    expect(md).toMatch(/\*\*lab1-go\*\*: 1\. bob 6 MB, 2\. alice 9 MB/);
  });

  it('escapes student names and messages in the HTML page', () => {
    const html = toHtml(buildGradebook([rec('<img src=x onerror=alert(1)>', 'lab1-go', { result: result('lab1-go', 4, 5) })], LABS.slice(0, 1)), {
      'lab1-go': 5_690_000,
    });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('found &lt;gcc&gt; | here');
    expect(html).toContain('reference 5.69 MB');
  });

  it('turns a folder name into a file name that is never a path', () => {
    expect(safeName('alice')).toBe('alice');
    expect(safeName('../../etc')).toMatch(/^__\.\._etc-[0-9a-f]{8}$/);
    expect(safeName('..')).toMatch(/^_-[0-9a-f]{8}$/);
    expect(safeName('a b')).toMatch(/^a_b-[0-9a-f]{8}$/);
    expect(safeName('a b')).not.toBe(safeName('a_b'));
    expect(safeName('a_b')).toBe('a_b');
  });
});

describe('reading submissions', () => {
  const student = (files: Record<string, string>) => tempFolder(files, 'stagecraft-test-student-');

  it("takes only the lab's Dockerfile and .dockerignore", async () => {
    const dir = await student({ 'labs/lab1-go/Dockerfile': 'FROM scratch\n', 'labs/lab1-go/.dockerignore': '.git\n', 'labs/lab1-go/main.go': 'package evil' });
    const sub = await readSubmission(dir, 'lab1-go');
    expect(sub).toMatchObject({ kind: 'submitted' });
    if (sub.kind === 'submitted') expect([sub.dockerfile.toString(), sub.dockerignore?.toString()]).toEqual(['FROM scratch\n', '.git\n']);
  });

  it('says what is missing', async () => {
    expect(await readSubmission(await student({}), 'lab1-go')).toEqual({ kind: 'not-submitted', reason: 'no labs/lab1-go/Dockerfile' });
  });

  it('never follows a symbolic link: not the Dockerfile, not a folder on the way, not the .dockerignore', async () => {
    const host = await student({ 'secret/Dockerfile': 'FROM host\n', 'secret/.dockerignore': 'x' });
    const linkedFile = await student({ 'labs/lab1-go/.keep': '' });
    await symlink(path.join(host, 'secret', 'Dockerfile'), path.join(linkedFile, 'labs/lab1-go/Dockerfile'));
    expect(await readSubmission(linkedFile, 'lab1-go')).toEqual({
      kind: 'not-submitted',
      reason: 'labs/lab1-go/Dockerfile is a symbolic link, which is never followed',
    });

    const linkedDir = await student({ 'labs/.keep': '' });
    await symlink(path.join(host, 'secret'), path.join(linkedDir, 'labs/lab1-go'));
    expect(await readSubmission(linkedDir, 'lab1-go')).toEqual({ kind: 'not-submitted', reason: 'labs/lab1-go is a symbolic link, which is never followed' });

    const linkedIgnore = await student({ 'labs/lab1-go/Dockerfile': 'FROM scratch\n' });
    await symlink(path.join(host, 'secret', '.dockerignore'), path.join(linkedIgnore, 'labs/lab1-go/.dockerignore'));
    expect(await readSubmission(linkedIgnore, 'lab1-go')).toEqual({
      kind: 'not-submitted',
      reason: 'labs/lab1-go/.dockerignore is a symbolic link, which is never followed',
    });
  });

  it('lists student folders, a symlinked one marked, files and dot-folders left out', async () => {
    const root = await student({ 'bob/labs/x': '', 'alice/labs/x': '', 'notes.txt': '', '.git/HEAD': '' });
    await symlink('/etc', path.join(root, 'mallory'));
    expect(await listStudents(root)).toEqual([
      { name: 'alice', isLink: false },
      { name: 'bob', isLink: false },
      { name: 'mallory', isLink: true },
    ]);
    await expect(listStudents(path.join(root, 'nope'))).rejects.toThrow(/^no submissions folder at /);
  });
});

describe('Markdown report', () => {
  it('shows each check, with hint and slide for failures, as text: table pipes and HTML escaped', () => {
    const md = toMarkdown(result('lab1-go', 4, 5));
    expect(md).toMatch(/^## ❌ lab1-go: 4\/5 · 5 MB/);
    expect(md).toContain('| ❌ | `runs` | found &lt;gcc&gt; \\| here<br>hint: h<br>read: s |');
  });
});
