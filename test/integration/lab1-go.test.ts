import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import type { GradeResult } from '../../graders/pipeline/result.js';
import { check, labSuite } from '../helpers/lab-suite.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'lab1-go');
const BIN = path.join(REPO_ROOT, 'bin', 'stagecraft.mjs');

const suite = labSuite({
  lab: 'lab1',
  starterFails: ['multi-stage', 'no-toolchain', 'size'],
  starterMessages: [
    ['multi-stage', /^line 3: only one stage \(`FROM golang:1.24-trixie`\)/],
    // The finding names the path, its size, the layer and the instruction that brought it.
    ['no-toolchain', /^found the Go toolchain: .*\/usr\/(local|lib|share)\/go\S* .*[\d.]+ MB.*layer \d+ of \d+, from the base image golang:1.24-trixie \(FROM on line 3\)/],
    ['no-toolchain', /Go sources \(\/src\/\S+\.go, layer \d+, line 6\)/],
    ['size', /ceiling 20 MB\) — as large as the starter; the largest layer is [\d.]+ MB: layer \d+ of \d+, from the base image golang:1.24-trixie/],
  ],
  knownBad: [
    { file: 'index-copy', fails: ['multi-stage'], message: ['multi-stage', /line 8: `COPY --from=0 \/out\/wordsmith \/wordsmith` copies by stage number: write --from=build/] },
    { file: 'sources-in-final', fails: ['no-toolchain'], message: ['no-toolchain', /^found Go sources: .*\/src\/.*added by `COPY --from=build \/src \/src` \(Dockerfile line 8\)/] },
    { file: 'cgo-in-scratch', fails: ['runs'], message: ['runs', /exited with code \d+ before answering GET \/healthz.*no such file or directory/], hint: ['runs', /CGO_ENABLED=0/] },
    { file: 'fake-stamp', fails: ['runs'], message: ['runs', /^GET \/stamp \(this build's stamp\) answered "a stamp I made up", not this build's stamp/] },
    { file: 'does-not-parse', fails: ['builds'], skips: ['multi-stage', 'size', 'no-toolchain', 'runs'], message: ['builds', /line 4: unknown instruction COPPY/] },
    { file: 'final-golang', fails: ['multi-stage', 'size', 'no-toolchain'], message: ['multi-stage', /line 7: the final image is built on golang:1.24-trixie, a toolchain image/] },
    { file: 'debian-final', fails: ['size'], message: ['size', /^\d+(\.\d+)? MB \(ceiling 20 MB\)/] },
    { file: 'compile-error', fails: ['builds'], skips: ['size', 'no-toolchain', 'runs'], message: ['builds', /^`RUN CGO_ENABLED=0 go build -o \/out\/wordsmith \.\/cmd\/wordsmith` \(Dockerfile line 5\) failed with exit code 1/] },
    { file: 'missing-base', fails: ['builds'], skips: ['size', 'no-toolchain', 'runs'], message: ['builds', /golang:1\.42-trixy/] },
    { file: 'distroless-syntax', fails: [], note: /# syntax=docker\/dockerfile:1` line was ignored/ },
  ],
});

describe('lab 1 details', () => {
  it('the solution image is from scratch, under 20 MB, probed five times, sizes labelled as stand-in measurements', async () => {
    const r = await grade(suite.lab(), { dockerfile: { kind: 'solution' } });
    expect(r.image!.size).toBeLessThan(20_000_000);
    expect(check(r, 'runs').details.probes).toHaveLength(5);
    if (r.image!.standInBases.length) expect(r.notes.join('\n')).toMatch(/measured against stand-in base images/);
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
    expect(r.stdout).toMatch(/read: slides\/02-multi-stage\.md#5/);
    expect(r.stdout).toMatch(/4\/5 checks passed/);
    expect(r.stderr).toMatch(/building the image with BuildKit/);
  });

  it('Ctrl-C during a build removes what the grade made and exits 130', async () => {
    const child = spawnSync('bash', ['-c', `node ${BIN} grade lab1 --dockerfile ${path.join(FIXTURES, 'final-golang.Dockerfile')} & pid=$!; sleep 4; kill -INT $pid; wait $pid`], { encoding: 'utf8' });
    expect(child.status).toBe(130);
    expect(child.stderr).toMatch(/interrupted, cleaning up/);
  });
});
