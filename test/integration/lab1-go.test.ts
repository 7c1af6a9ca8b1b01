import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLab, labDir, REPO_ROOT, type LabDefinition } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import type { GradeResult } from '../../graders/pipeline/result.js';
import { engineOrFail, leftovers } from '../helpers/engine.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'lab1-go');
const BIN = path.join(REPO_ROOT, 'bin', 'stagecraft.mjs');

let lab: LabDefinition;
let labHashBefore: string;
let before: Awaited<ReturnType<typeof leftovers>>;

async function folderHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).sort((a, b) =>
    path.join(a.parentPath, a.name).localeCompare(path.join(b.parentPath, b.name)),
  );
  for (const e of entries) {
    const full = path.join(e.parentPath, e.name);
    h.update(full);
    if (e.isFile()) h.update(await readFile(full));
  }
  return h.digest('hex');
}

const failing = (r: GradeResult) => r.checks.filter((c) => !c.passed && !c.skipped).map((c) => c.id);
const skipped = (r: GradeResult) => r.checks.filter((c) => c.skipped).map((c) => c.id);
const check = (r: GradeResult, id: string) => r.checks.find((c) => c.id === id)!;

beforeAll(async () => {
  await engineOrFail();
  lab = await findLab('lab1');
  labHashBefore = await folderHash(labDir(lab));
  before = await leftovers(); // an earlier, killed run may have left some: only new ones count
});

afterAll(async () => {
  // Grading must leave nothing behind, and never touch the student's folder.
  const after = await leftovers();
  const added = (key: keyof typeof after) => after[key].filter((x) => !before[key].includes(x));
  expect({ containers: added('containers'), images: added('images'), tempDirs: added('tempDirs') }).toEqual({ containers: [], images: [], tempDirs: [] });
  expect(await folderHash(labDir(lab))).toBe(labHashBefore);
});

describe('lab 1 reference solution', () => {
  it('passes every check, with the image from scratch under 20 MB', async () => {
    const r = await grade(lab, { dockerfile: { kind: 'solution' } });
    expect(r.checks.map((c) => [c.id, c.passed, c.skipped])).toEqual([
      ['builds', true, false],
      ['multi-stage', true, false],
      ['size', true, false],
      ['no-toolchain', true, false],
      ['runs', true, false],
    ]);
    expect(r).toMatchObject({ lab: 'lab1-go', dockerfile: 'solutions/lab1-go/Dockerfile', passed: true, score: 5, maxScore: 5 });
    expect(r.image!.size).toBeLessThan(20_000_000);
    expect(r.image!.standInBases).toEqual(expect.arrayContaining(['golang:1.24-trixie']));
    expect(check(r, 'runs').details.probes).toHaveLength(5);
  });
});

describe('lab 1 starter', () => {
  it('fails size, no-toolchain and multi-stage, and passes builds and runs', async () => {
    const r = await grade(lab);
    expect(failing(r).sort()).toEqual(['multi-stage', 'no-toolchain', 'size']);
    expect(skipped(r)).toEqual([]);
    expect(r.passed).toBe(false);
    expect(r.image!.size).toBeGreaterThan(500_000_000);
    expect(check(r, 'multi-stage').message).toMatch(/^line 3: only one stage \(`FROM golang:1.24-trixie`\)/);
    // The finding names the path, its size, the layer and the instruction that brought it.
    expect(check(r, 'no-toolchain').message).toMatch(
      /^found the Go toolchain: \/usr\/(local|lib)\/go\S*\/\S+ \([\d.]+ MB\) and [\d,]+ more files, [\d.]+ MB in all, layer \d+ of \d+, from the base image golang:1.24-trixie \(FROM on line 3\)/,
    );
    expect(check(r, 'no-toolchain').message).toMatch(/Go sources \(\/src\/\S+\.go, layer \d+, line 6\)/);
    expect(check(r, 'size').message).toMatch(/ceiling 20 MB\); the largest layer is [\d.]+ MB: layer \d+ of \d+, from the base image golang:1.24-trixie/);
  });
});

/** Each known-bad Dockerfile fails exactly the checks it targets; the rest pass or are skipped as listed. */
const KNOWN_BAD: { file: string; fails: string[]; skips?: string[]; message?: [string, RegExp]; hint?: [string, RegExp]; note?: RegExp }[] = [
  { file: 'index-copy', fails: ['multi-stage'], message: ['multi-stage', /line 8: `COPY --from=0 \/out\/wordsmith \/wordsmith` copies by stage number: write --from=build/] },
  { file: 'sources-in-final', fails: ['no-toolchain'], message: ['no-toolchain', /^found Go sources: \/src\/main\.go .*added by `COPY --from=build \/src \/src` \(Dockerfile line 8\)/] },
  { file: 'cgo-in-scratch', fails: ['runs'], message: ['runs', /exited with code \d+ before answering GET \/healthz.*no such file or directory/], hint: ['runs', /CGO_ENABLED=0/] },
  { file: 'fake-stamp', fails: ['runs'], message: ['runs', /^GET \/stamp \(this build's stamp\) answered "a stamp I made up", not this build's stamp/] },
  { file: 'does-not-parse', fails: ['builds'], skips: ['multi-stage', 'size', 'no-toolchain', 'runs'], message: ['builds', /line 4: unknown instruction COPPY/] },
  { file: 'final-golang', fails: ['multi-stage', 'size', 'no-toolchain'], message: ['multi-stage', /line 7: the final image is built on golang:1.24-trixie, a toolchain image/] },
  { file: 'debian-final', fails: ['size'], message: ['size', /^\d+(\.\d+)? MB \(ceiling 20 MB\)/] },
  { file: 'compile-error', fails: ['builds'], skips: ['size', 'no-toolchain', 'runs'], message: ['builds', /^`RUN CGO_ENABLED=0 go build -o \/out\/wordsmith \.\/cmd\/wordsmith` \(Dockerfile line 5\) failed with exit code 1/] },
  { file: 'missing-base', fails: ['builds'], skips: ['size', 'no-toolchain', 'runs'], message: ['builds', /golang:1\.42-trixy/] },
  { file: 'distroless-syntax', fails: [], note: /# syntax=docker\/dockerfile:1` line was ignored/ },
];

describe.concurrent('lab 1 known-bad Dockerfiles', () => {
  it.each(KNOWN_BAD)('$file fails exactly $fails', async ({ file, fails, skips, message, hint, note }) => {
    const r = await grade(lab, { dockerfile: { kind: 'path', path: path.join(FIXTURES, `${file}.Dockerfile`) } });
    expect(failing(r).sort()).toEqual([...fails].sort());
    expect(skipped(r).sort()).toEqual([...(skips ?? [])].sort());
    for (const c of r.checks) if (c.skipped) expect(c.passed).toBe(false);
    expect(r.passed).toBe(fails.length === 0);
    if (message) expect(check(r, message[0]).message).toMatch(message[1]);
    if (hint) expect(check(r, hint[0]).hint).toMatch(hint[1]);
    if (note) expect(r.notes.join('\n')).toMatch(note);
  });
});

describe('the CLI on the real engine', () => {
  it('--solution --json prints only the JSON result and exits 0; --junit writes XML', async () => {
    const junit = path.join(await mkdtemp(path.join(tmpdir(), 'stagecraft-junit-')), 'lab1.xml');
    const r = spawnSync(process.execPath, [BIN, 'grade', 'lab1', '--solution', '--json', '--junit', junit], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as GradeResult;
    expect(result).toMatchObject({ lab: 'lab1-go', passed: true, score: 5, maxScore: 5 });
    expect(Object.keys(result).sort()).toEqual(['checks', 'dockerfile', 'durationMs', 'image', 'lab', 'maxScore', 'notes', 'passed', 'score', 'timings']);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="stagecraft.lab1-go"[^>]* tests="5" failures="0"/);
  });

  it('a Dockerfile that does not parse exits 1 with the JSON still printed', () => {
    const r = spawnSync(process.execPath, [BIN, 'grade', 'lab1', '--json', '--dockerfile', path.join(FIXTURES, 'does-not-parse.Dockerfile')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const result = JSON.parse(r.stdout) as GradeResult;
    expect(result.checks.find((c) => c.id === 'builds')).toMatchObject({ passed: false, skipped: false });
  });

  it('the terminal report shows ✓/✗ per check with hints and slides', () => {
    const r = spawnSync(process.execPath, [BIN, 'grade', 'lab1', '--dockerfile', path.join(FIXTURES, 'index-copy.Dockerfile')], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ multi-stage +line 8: /);
    expect(r.stdout).toMatch(/✓ runs +answered within/);
    expect(r.stdout).toMatch(/read: slides\/02-multi-stage\.md#3/);
    expect(r.stdout).toMatch(/4\/5 checks passed/);
    expect(r.stderr).toMatch(/building the image with BuildKit/);
  });
});
