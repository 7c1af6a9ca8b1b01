import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { cacheNamespace, removeCacheMountsSince } from '../../graders/prepare/cache-mounts.js';
import { grade } from '../../graders/pipeline/grade.js';
import type { GradeResult } from '../../graders/pipeline/result.js';
import { buildCacheRecords, docker } from '../../graders/engine/docker.js';
import { SEED_REPOSITORY } from '../../graders/pipeline/cache-seed.js';
import { filesInImage, leftBehind, NOTHING_LEFT, type Leftovers } from '../helpers/engine.js';
import { check, labSuite } from '../helpers/lab-suite.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'lab1-go');
const BIN = path.join(REPO_ROOT, 'bin', 'stagecraft.mjs');

const suite = labSuite({
  lab: 'lab1',
  starterFails: ['multi-stage', 'no-toolchain', 'size'],
  starterMessages: [
    ['multi-stage', /^line 3: only one stage \(`FROM golang:1.24-trixie`\)/],
    // The finding names the path, its size, the layer and the instruction that brought it.
    [
      'no-toolchain',
      /^found the Go toolchain: .*\/usr\/(local|lib|share)\/go\S* .*[\d.]+ MB.*layer \d+ of \d+, from the base image golang:1.24-trixie \(FROM on line 3\)/,
    ],
    ['no-toolchain', /^found Go sources: .*\/src\/.*added by `COPY \. \.` \(Dockerfile line 6\)$/m],
    [
      'size',
      /ceiling 20 MB\) — as large as the starter; the base image golang:1.24-trixie brings [\d.]+ MB \(\d+ layers\); your Dockerfile's largest layers? (is|are) [\d.]+ [kM]B: layer \d+ of \d+, added by `RUN go build/,
    ],
  ],
  knownBad: [
    {
      file: 'index-copy',
      fails: ['multi-stage'],
      message: ['multi-stage', /line 8: `COPY --from=0 \/out\/wordsmith \/wordsmith` copies by stage number: write --from=build/],
    },
    {
      file: 'sources-in-final',
      fails: ['no-toolchain'],
      message: ['no-toolchain', /^found Go sources: .*\/src\/.*added by `COPY --from=build \/src \/src` \(Dockerfile line 8\)/],
    },
    {
      file: 'cgo-in-scratch',
      fails: ['runs'],
      message: ['runs', /exited with code \d+ before answering GET \/healthz.*no such file or directory/],
      hint: ['runs', /CGO_ENABLED=0/],
    },
    {
      file: 'own-stamp-function',
      fails: ['runs'],
      message: [
        'runs',
        /^GET \/stamp\?x=\d+ \(this build's stamp\) answered this build's stamp, but "\d+" for the stamp function of x=\d+, where this build's gives \d+: the app was not compiled from this build's sources \(the grader writes a new stamp function into main\.go before every build\)$/,
      ],
      hint: ['runs', /\(the stamp in stamp\.txt, a new stamp function in main\.go\)/],
    },
    {
      file: 'fake-stamp',
      fails: ['runs'],
      message: ['runs', /^GET \/stamp\?x=\d+ \(this build's stamp\) answered "a stamp I made up", not this build's stamp/],
    },
    {
      file: 'does-not-parse',
      fails: ['builds'],
      skips: ['multi-stage', 'size', 'no-toolchain', 'runs'],
      message: ['builds', /line 4: unknown instruction COPPY/],
    },
    {
      file: 'final-golang',
      fails: ['multi-stage', 'size', 'no-toolchain'],
      message: ['multi-stage', /line 7: the final image is built on golang:1.24-trixie, a toolchain image/],
    },
    { file: 'debian-final', fails: ['size'], message: ['size', /^\d+(\.\d+)? MB \(ceiling 20 MB\)/] },
    {
      file: 'compile-error',
      fails: ['builds'],
      skips: ['size', 'no-toolchain', 'runs'],
      message: ['builds', /^`RUN CGO_ENABLED=0 go build -o \/out\/wordsmith \.\/cmd\/wordsmith` \(Dockerfile line 5\) failed with exit code 1/],
      hint: ['builds', /`docker build -f test\/fixtures\/lab1-go\/compile-error\.Dockerfile labs\/lab1-go`/],
    },
    // Issue 21: not "step [internal] load metadata … failed" and "read the first error above".
    {
      file: 'alpine-base',
      fails: ['builds'],
      skips: ['size', 'no-toolchain', 'runs'],
      message: [
        'builds',
        /^the image golang:1\.24-alpine \(`FROM golang:1\.24-alpine AS build`, Dockerfile line 4\) could not be used: it is not on this machine, and no registry can be reached from here to pull it$/,
      ],
      hint: ['builds', /^Use an image this machine has\. golang:1\.24-trixie serves instead/],
    },
    // Issue 21: the fix is the JSON form, not "compare it with the path your COPY --from puts the binary at".
    {
      file: 'shell-entrypoint-scratch',
      fails: ['runs'],
      hint: [
        'runs',
        /^`ENTRYPOINT \/wordsmith` \(Dockerfile line 11\) is in the shell form: .*scratch has no \/bin\/sh\. Write it in the JSON form, .*`ENTRYPOINT \["\/wordsmith"\]`/,
      ],
    },
    // Not on the allowlist, so refused before anything is built (no registry is asked).
    {
      file: 'missing-base',
      fails: ['builds'],
      skips: ['size', 'no-toolchain', 'runs'],
      message: ['builds', /^refused: line 2: .*the image golang:1\.42-trixy, which this lab does not allow/],
    },
    // #14: a grade cannot be faked.
    {
      file: 'prebuilt-image',
      fails: ['builds'],
      skips: ['size', 'no-toolchain', 'runs'],
      message: [
        'builds',
        /^refused: line 3: `FROM stagecraft\/lab1-go AS prebuilt` uses the image stagecraft\/lab1-go, which this lab does not allow; .* scratch, or one of: debian:trixie-slim, golang:1\.24-trixie/,
      ],
    },
    {
      file: 'stamp-read-at-run-time',
      fails: ['runs'],
      message: [
        'runs',
        /^the final image ships this build's stamp as a file of its own: \/etc\/wordsmith\/build-id \(layer 2 of 2, added by `COPY stamp\.txt \/etc\/wordsmith\/build-id` \(Dockerfile line 12\)\): \/stamp must be answered by an app built in this Dockerfile/,
      ],
    },
    {
      file: 'stamp-in-config',
      fails: ['runs'],
      message: ['runs', /^this build's stamp is in \/etc\/wordsmith\.json \(layer 2 of 2, .*line 14\)\), a data file, not compiled into the app/],
    },
    {
      file: 'forged-report',
      fails: ['builds'],
      skips: ['size', 'no-toolchain', 'runs'],
      message: ['builds', /failed with exit code 3: building\\r\\x1b\[1;32m✓ all 5 checks passed\\x1b\[0m <img src=x onerror=alert\(1\)>$/],
    },
    {
      file: 'escape-in-dockerfile',
      fails: ['builds'],
      skips: ['multi-stage', 'size', 'no-toolchain', 'runs'],
      message: ['builds', /unknown instruction COPPY\\x1b\[2J\\x1b\[1;32m/i],
    },
    {
      file: 'hidden-toolchain',
      fails: ['no-toolchain'],
      message: [
        'no-toolchain',
        /`\/opt\/x\/fmt` is the Go toolchain's gofmt, renamed \(\/usr\/lib\/go-1\.24\/bin\/gofmt in golang:1\.24-trixie.*\(Dockerfile line 16\)/,
      ],
      also: [
        ['no-toolchain', /^found Go sources: \d+ files, .* in \/usr\/share\/doc\/go\/strings\/ .*\(Dockerfile line 15\)$/m],
        [
          'no-toolchain',
          /^found the Go toolchain, inside the archive \/opt\/lib\/tools\.tgz: 2 files, .*`c` in the archive \/opt\/lib\/tools\.tgz is the Go toolchain's compile, renamed .*\(Dockerfile line 17\)$/m,
        ],
      ],
    },
    {
      file: 'toolchain-as-dat',
      fails: ['no-toolchain', 'size'],
      message: [
        'no-toolchain',
        /^found the Go toolchain, inside the archive \/data\/assets\.dat: .*added by `COPY --from=build \/out\/assets\.dat \/data\/assets\.dat` \(Dockerfile line 9\)$/m,
      ],
    },
    // Issue 20: toolchains by what they are, not by their size or name.
    {
      file: 'gcc-renamed-padded',
      fails: ['no-toolchain', 'size'],
      message: [
        'no-toolchain',
        /^found gcc, copied out of its place: 2 files, [\d.]+ MB in all \(the largest: `\/opt\/x\/one` is gcc's cc1, renamed \(\/usr\/libexec\/gcc\/x86_64-linux-gnu\/14\/cc1 in golang:1\.24-trixie; [\d.]+ MB\)\), layer 1 of 2, added by `COPY --from=build \/out\/x \/opt\/x` \(Dockerfile line 14\)$/m,
      ],
    },
    {
      file: 'toolchain-xz',
      fails: ['no-toolchain', 'size'],
      message: [
        'no-toolchain',
        /^found the Go toolchain, inside the archive \/data\/assets\.bin: \d+ files, .*`t\/linux_amd64\/compile` in the archive \/data\/assets\.bin is the Go toolchain's compile.*\(Dockerfile line 10\)$/m,
      ],
    },
    {
      file: 'toolchain-base64',
      fails: ['no-toolchain', 'size'],
      message: ['no-toolchain', /^found data the grader cannot look into .*: \/usr\/share\/doc\/notes\.txt \([\d.]+ MB\), .*\(Dockerfile line 9\)$/m],
    },
    {
      file: 'toolchain-split',
      fails: ['no-toolchain', 'size'],
      message: ['no-toolchain', /^found the Go toolchain, inside the archive \/data\/parts\/part\.aa: bin\/go \([\d.]+ MB\), .*\(Dockerfile line 11\)$/m],
      also: [['no-toolchain', /^found data the grader cannot look into .*: \d+ files, [\d.]+ MB in all, in \/data\/parts\/ .*\(Dockerfile line 11\)$/m]],
    },
    {
      file: 'toolchain-nested',
      fails: ['no-toolchain'],
      message: [
        'no-toolchain',
        /^found the Go toolchain, inside the archive \/opt\/lib\/outer\.tgz!\/inner\.tgz: 2 files, .*`a` in the archive \/opt\/lib\/outer\.tgz!\/inner\.tgz is the Go toolchain's compile, renamed/m,
      ],
    },
    // #15: messages that lead to the fix.
    {
      file: 'final-from-shared-stage',
      fails: ['multi-stage', 'size', 'no-toolchain'],
      message: [
        'multi-stage',
        /^line 3: the final image is built on golang:1\.24-trixie, a toolchain image: the final stage is `FROM base` \(line 10\), which starts from golang:1\.24-trixie/,
      ],
    },
    // Upstream's distroless tags: :nonroot runs as 65532 with no USER line.
    { file: 'distroless-nonroot', fails: [] },
    { file: 'distroless-syntax', fails: [], note: /# syntax=docker\/dockerfile:1` line was ignored/ },
    // The engine refuses the image (issue 15): the student's result, with the engine's reason, never "could not grade".
    {
      file: 'no-command',
      fails: ['runs'],
      message: ['runs', /^the engine could not start the container: no command specified$/],
      hint: ['runs', /ENTRYPOINT in the JSON form/],
    },
    {
      file: 'missing-entrypoint',
      fails: ['runs'],
      message: ['runs', /^the engine could not start the container: exec: "\/app": stat \/app: no such file or directory$/],
      hint: ['runs', /ENTRYPOINT \["\/app"\] needs a file at \/app/],
    },
    {
      file: 'unknown-user',
      fails: ['runs'],
      message: ['runs', /^the engine could not start the container: unable to find user nonroot: no matching entries in passwd file$/],
      hint: ['runs', /numeric id \(USER 65532:65532\)/],
    },
  ],
});

describe('lab 1 details', () => {
  it('a submission that poisons the Go build cache cannot touch the next grade: the reference solution still passes', async () => {
    // The poison gets a cache of its own each run (an earlier run's poison would fail its own
    // build), removed afterwards; the solution grades as a student's grade would.
    const started = new Date();
    const poison = await grade(suite.lab(), {
      dockerfile: { kind: 'path', path: path.join(FIXTURES, 'poison-go-cache.Dockerfile') },
      cacheNamespace: cacheNamespace('poison', started.toISOString()),
    });
    try {
      expect(poison.checks.find((c) => c.id === 'builds')!.passed).toBe(true);
      const r = await grade(suite.lab(), { dockerfile: { kind: 'solution' } });
      expect(r.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    } finally {
      await removeCacheMountsSince(started);
    }
  });

  it("a new submission's Go cache starts warm from the reference solution's, and what it writes there reaches neither the seed nor a classmate", async () => {
    const started = new Date();
    const fixture = { kind: 'path' as const, path: path.join(FIXTURES, 'warm-cache.Dockerfile') };
    const namespaces = ['first', 'second'].map((student) => cacheNamespace('warm', student, started.toISOString()));
    // Their cache mounts: the fixture's, made since (Docker 20.10 does not name a mount's id).
    const theirMounts = async () =>
      (await buildCacheRecords()).filter(
        (r) => r.Type === 'exec.cachemount' && r.Description.includes('written-by-a-submission') && Date.parse(r.CreatedAt) >= started.getTime(),
      );
    try {
      // Two namespaces no grade has used: each build fails unless its cache starts full.
      for (const namespace of namespaces) {
        const r = await grade(suite.lab(), { dockerfile: fixture, cacheNamespace: namespace });
        expect(r.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      }
      const seeds = (await docker().listImages({ filters: { reference: [`${SEED_REPOSITORY}/lab1-go`] } })).flatMap((i) => i.RepoTags ?? []);
      expect(seeds).toHaveLength(1);
      // The seed holds Go's build cache, and nothing a submission wrote.
      const files = await filesInImage(seeds[0]!, '/0');
      expect(files.filter((f) => f.endsWith('-d')).length).toBeGreaterThan(100);
      expect(files.filter((f) => f.includes('written-by-a-submission'))).toEqual([]);
      // Both students' caches go with one removal, as a batch's go when it ends.
      expect((await theirMounts()).length).toBeGreaterThanOrEqual(2);
      await removeCacheMountsSince(started);
      expect(await theirMounts()).toEqual([]);
    } finally {
      await removeCacheMountsSince(started);
    }
  });

  it("the verdict is handed over before the clean-up: the report is written while the grade's image and folder are still there, and nothing is left once grade() resolves", async () => {
    const seen = await leftBehind();
    let during: Leftovers | undefined;
    let passed: boolean | undefined;
    const r = await grade(suite.lab(), {
      dockerfile: { kind: 'solution' },
      onVerdict: async (result) => {
        passed = result.passed;
        during = await seen.added();
      },
    });
    expect(passed).toBe(r.passed);
    expect(during!.images.filter((i) => i.startsWith('stagecraft-grade/lab1-go:'))).toHaveLength(1);
    expect(during!.tempDirs).toHaveLength(1);
    expect(await seen.added()).toEqual(NOTHING_LEFT);
  });

  it('a forged pass line and an HTML payload stay text in the terminal report, Markdown, JUnit, the summary and the HTML gradebook', async () => {
    const r = await grade(suite.lab(), { dockerfile: { kind: 'path', path: path.join(FIXTURES, 'forged-report.Dockerfile') } });
    const { renderTerminal } = await import('../../graders/report/terminal.js');
    const { toMarkdown } = await import('../../graders/report/markdown.js');
    const { toJUnit } = await import('../../graders/report/junit.js');
    const { buildGradebook, toSummary, labColumn } = await import('../../graders/batch/gradebook.js');
    const { toHtml } = await import('../../graders/batch/gradebook-html.js');
    const terminal = renderTerminal(r, true);
    expect(terminal).toContain('building\\r\\x1b[1;32m✓ all 5 checks passed\\x1b[0m');
    expect(terminal).not.toMatch(/\r/);
    // Only picocolors' own colour codes remain: none of the student's.
    expect(terminal).not.toContain('\u001b[1;32m✓ all 5');
    const md = toMarkdown(r);
    expect(md).not.toMatch(/\u001b|\r|<img/);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const xml = toJUnit([r]);
    expect(xml).not.toMatch(/\u001b|\r|<img/);
    expect(xml).toContain('&lt;img src=x onerror=alert(1)');
    const record = {
      student: '[mallory](http://evil.example) <img src=x>',
      lab: r.lab,
      status: 'graded' as const,
      result: r,
      finishedAt: new Date().toISOString(),
    };
    const reason = {
      student: 'eve',
      lab: r.lab,
      status: 'could-not-grade' as const,
      reason: 'an error naming /tmp/[x](http://y)<img src=x onerror=alert(1)>',
      finishedAt: new Date().toISOString(),
    };
    const book = buildGradebook([record, reason], [labColumn(suite.lab())]);
    const summary = toSummary(book);
    expect(summary).not.toMatch(/<img|[^\\]\]\(http|\u001b/);
    expect(summary).toContain('\\[mallory\\](http://evil.example) &lt;img src=x&gt;');
    const html = toHtml(book, {});
    expect(html).not.toMatch(/<img src=x|\u001b/);
  });

  it('the solution image is from scratch, under 20 MB, probed five times, sizes labelled as stand-in measurements', async () => {
    const r = await grade(suite.lab(), { dockerfile: { kind: 'solution' } });
    expect(r.image!.size).toBeLessThan(20_000_000);
    expect(check(r, 'runs').details.probes).toHaveLength(5);
    if (r.image!.standInBases.length) expect(r.notes.join('\n')).toMatch(/measured against stand-in base images/);
  });
});

describe('a Dockerfile saved with Windows line endings', () => {
  it('grades like the same file with LF, and the report says what it did and how to fix the file (outside a checkout: no git)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-crlf-'));
    const file = path.join(dir, 'Dockerfile');
    await writeFile(file, (await readFile(path.join(REPO_ROOT, 'solutions', 'lab1-go', 'Dockerfile'), 'utf8')).replace(/\n/g, '\r\n'));
    const r = await grade(suite.lab(), { dockerfile: { kind: 'path', path: file } });
    expect(r.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect(r.notes.join('\n')).toContain(
      `1 file has Windows line endings (CRLF): ${file}; the grade used LF copies (your files are unchanged). To fix it: save it with LF line endings`,
    );
    expect(r.notes.join('\n')).not.toContain('git add');
    expect(await readFile(file, 'utf8')).toContain('\r\n'); // the student's file is untouched
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
    const r = spawnSync(process.execPath, [BIN, 'grade', 'lab1', '--json', '--dockerfile', path.join(FIXTURES, 'does-not-parse.Dockerfile')], {
      encoding: 'utf8',
    });
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
    const child = spawnSync(
      'bash',
      ['-c', `node ${BIN} grade lab1 --dockerfile ${path.join(FIXTURES, 'final-golang.Dockerfile')} & pid=$!; sleep 4; kill -INT $pid; wait $pid`],
      { encoding: 'utf8' },
    );
    expect(child.status).toBe(130);
    expect(child.stderr).toMatch(/interrupted, cleaning up/);
  });
});
