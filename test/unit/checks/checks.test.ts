import { describe, expect, it } from 'vitest';
import { builds } from '../../../graders/checks/builds.js';
import { instructionOfStep } from '../../../graders/buildkit/steps.js';
import { multiStage } from '../../../graders/checks/multi-stage.js';
import { noToolchain } from '../../../graders/checks/no-toolchain.js';
import { runs } from '../../../graders/checks/runs.js';
import { size } from '../../../graders/checks/size.js';
import { noCaches } from '../../../graders/checks/no-caches.js';
import { cacheFriendly } from '../../../graders/checks/cache-friendly.js';
import { noSecrets } from '../../../graders/checks/no-secrets.js';
import { nonRoot } from '../../../graders/checks/non-root.js';
import { GO_TOOLCHAIN, GO_SOURCES, GCC } from '../../../graders/findings/index.js';
import { evaluateChecks } from '../../../graders/pipeline/evaluate.js';
import { parseDockerfile } from '../../../graders/lint/dockerfile.js';
import type { BuildResult } from '../../../graders/buildkit/build.js';
import { evidence, image, layer, run } from '../../helpers/evidence.js';

const okBuild: BuildResult = { ok: true, imageId: 'sha256:abc', steps: [], log: '', timedOut: false, durationMs: 4200 };

describe('builds', () => {
  it('passes with the build time', () => {
    expect(builds().evaluate(evidence({ build: okBuild }))).toMatchObject({ passed: true, message: 'built in 4.2 s' });
  });

  it('fails on a Dockerfile that does not parse, naming the line', () => {
    const v = builds().evaluate(evidence({}, 'FROM scratch\nCOPPY . .\n'));
    expect(v).toMatchObject({ passed: false, message: 'the Dockerfile does not parse: line 2: unknown instruction COPPY', details: { line: 2 } });
  });

  it('fails on a failed step with its instruction, line, exit code and last output', () => {
    const step = {
      digest: 'd',
      name: '[build 3/3] RUN CGO_ENABLED=0 go build -o /out/app .',
      cached: false,
      done: false,
      error: 'exit code: 1',
      tail: ['# example.com/app', './main.go:3:1: syntax error'],
    };
    const build: BuildResult = {
      ok: false,
      error: 'executor failed running [/bin/sh -c CGO_ENABLED=0 go build -o /out/app .]: exit code: 1',
      failedStep: step,
      steps: [step],
      log: '',
      timedOut: false,
      durationMs: 1,
    };
    const v = builds().evaluate(evidence({ build }));
    expect(v.passed).toBe(false);
    expect(v.message).toBe('`RUN CGO_ENABLED=0 go build -o /out/app .` (Dockerfile line 4) failed with exit code 1: ./main.go:3:1: syntax error');
  });

  it('maps BuildKit step names to Dockerfile instructions, unnamed stages included', () => {
    const lint = parseDockerfile('FROM golang:1.24-trixie\nRUN echo one\nFROM scratch\nCOPY --from=0 /a /a\n');
    if (!lint.ok) throw new Error('parse');
    const step = (name: string) => ({ digest: '', name, cached: false, done: false, error: '', tail: [] });
    expect(instructionOfStep(step('[stage-0 2/2] RUN echo one'), lint.dockerfile)?.line).toBe(2);
    expect(instructionOfStep(step('[stage-1 1/1] COPY --from=0 /a /a'), lint.dockerfile)?.line).toBe(4);
    expect(instructionOfStep(step('[internal] load metadata'), lint.dockerfile)).toBeUndefined();
  });
});

describe('size', () => {
  const check = size({ ceiling: 20_000_000 });

  it('passes under the ceiling, comparing with the measured starter', () => {
    const v = check.evaluate(evidence({ image: image({ size: 5_400_000 }), reference: { starterSize: 1_020_000_000 } }));
    expect(v).toMatchObject({ passed: true, message: '5.4 MB (ceiling 20 MB) — starter 1.02 GB, 99.5% smaller' });
  });

  it.each([
    [864_000_000, '864 MB (ceiling 20 MB) — as large as the starter'],
    [864_400_000, '864 MB (ceiling 20 MB) — as large as the starter'], // a rebuild of the starter, a few bytes apart
    [800_000_000, '864 MB (ceiling 20 MB) — starter 800 MB, 8.00% larger'],
  ])('compares with a starter of %d bytes without claiming a difference that is noise', (starterSize, message) => {
    const v = check.evaluate(evidence({ image: image({ size: 864_000_000, layers: [] }), reference: { starterSize } }));
    expect(v.message).toBe(message);
  });

  it('fails over the ceiling naming the largest layers and where they came from', () => {
    const layers = [layer(0, 900_000_000), layer(1, 8_000_000, 4, 'RUN')];
    const v = check.evaluate(evidence({ image: image({ size: 908_000_000, layers }) }));
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      '908 MB (ceiling 20 MB); the base image golang:1.24-trixie brings 900 MB (1 layer); ' +
        "your Dockerfile's largest layer is 8 MB: layer 2 of 2, added by `RUN --from=build /out/app /app` (Dockerfile line 4)",
    );
  });

  it('fails an image too large to scan from its size alone', () => {
    const v = check.evaluate(evidence({ image: image({ size: 50_000_000_000, layers: undefined, files: undefined }) }));
    expect(v).toMatchObject({ passed: false, message: '50 GB (ceiling 20 MB) (too large to scan its layers)' });
  });
});

describe('no-toolchain', () => {
  const check = noToolchain({ forbidden: [GO_TOOLCHAIN, GCC, GO_SOURCES] });

  it('passes when nothing forbidden ships', () => {
    const v = check.evaluate(evidence({ image: image({}, [{ path: 'app', size: 5, type: 'file', layer: 0 }]) }));
    expect(v).toMatchObject({ passed: true, message: 'none of the Go toolchain, gcc, Go sources in 1 layer (1 file)' });
  });

  it('names path, size, layer and Dockerfile line, and says when deleted files still ship', () => {
    const files = [
      { path: 'usr/local/go/bin/go', size: 15_000_000, type: 'file' as const, layer: 0, deletedIn: 1 },
      { path: 'src/main.go', size: 2_000, type: 'file' as const, layer: 1 },
    ];
    const layers = [layer(0, 15_000_000), layer(1, 2_000, 3)];
    const v = check.evaluate(evidence({ image: image({ layers }, files) }));
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'found the Go toolchain: /usr/local/go/bin/go (15 MB), layer 1 of 2, from the base image golang:1.24-trixie (FROM on line 1); deleted in layer 2, but still shipped\n' +
        'found Go sources: /src/main.go (2 kB), layer 2 of 2, added by `COPY --from=build /out/app /app` (Dockerfile line 3)',
    );
  });

  it("covers Debian's Go layout and cross-compiler names", () => {
    const files = [
      'usr/lib/go-1.24/bin/go',
      'usr/share/go-1.24/src/net/http/server.go',
      'usr/bin/x86_64-linux-gnu-gcc-14',
      'usr/libexec/gcc/x86_64-linux-gnu/14/cc1',
    ].map((path) => ({ path, size: 1, type: 'file' as const, layer: 0 }));
    const v = check.evaluate(evidence({ image: image({ layers: [layer(0, 4)] }, files) }));
    const findings = (v.details!.findings as { what: string; files: number }[]).map((f) => [f.what, f.files]);
    expect(findings).toEqual([
      ['the Go toolchain', 2],
      ['gcc', 2],
    ]);
  });
});

describe('runs', () => {
  const check = runs();

  it('passes when ready and every probe is right', () => {
    expect(check.evaluate(evidence({ run: run() }))).toMatchObject({ passed: true, message: 'answered within 120 ms of starting; 1 probe answered correctly' });
  });

  it('explains a cgo binary in scratch from its exec error', () => {
    const v = check.evaluate(
      evidence({
        run: run({
          ready: false,
          exitCode: 255,
          problem: 'the container exited with code 255 before answering GET /healthz',
          logTail: ['exec /app: no such file or directory'],
          probes: [],
        }),
      }),
    );
    expect(v.passed).toBe(false);
    expect(v.message).toBe('the container exited with code 255 before answering GET /healthz; its last output: "exec /app: no such file or directory"');
    expect(v.hint).toMatch(/CGO_ENABLED=0/);
  });

  it('fails on the first wrong probe and counts the rest', () => {
    const probes = [
      { name: "GET /stamp (this build's stamp)", ok: false, status: 200, problem: 'answered "unstamped", not this build\'s stamp', ms: 2 },
      { name: 'GET /reverse?text=ab', ok: false, status: 500, problem: 'answered 500, expected 200', ms: 2 },
    ];
    const v = check.evaluate(evidence({ run: run({ probes }) }));
    expect(v.message).toBe('GET /stamp (this build\'s stamp) answered "unstamped", not this build\'s stamp (1 more probes failed)');
  });
});

describe('multi-stage', () => {
  it('passes a clean two-stage build and fails a single stage with its line', () => {
    expect(multiStage().evaluate(evidence())).toMatchObject({ passed: true, message: '2 stages (build → stage 1), final stage FROM scratch' });
    expect(multiStage().evaluate(evidence({}, 'FROM golang:1.24-trixie\nRUN go build .\n')).message).toMatch(/^line 1: only one stage/);
  });
});

describe('evaluateChecks', () => {
  const checks = [builds(), multiStage(), size({ ceiling: 1 }), runs()];

  it('skips what cannot be evaluated, with the reason, and never counts a skipped check as passed', () => {
    const failedBuild: BuildResult = { ok: false, error: 'boom', steps: [], log: '', timedOut: false, durationMs: 1 };
    const results = evaluateChecks(checks, evidence({ build: failedBuild }));
    expect(results.map((r) => [r.id, r.passed, r.skipped])).toEqual([
      ['builds', false, false],
      ['multi-stage', true, false],
      ['size', false, true],
      ['runs', false, true],
    ]);
    expect(results[2]!.message).toBe('skipped: there is no image: the build failed');
  });

  it('skips everything but builds when the Dockerfile does not parse', () => {
    const results = evaluateChecks(checks, evidence({}, 'COPPY\n'));
    expect(results.filter((r) => r.skipped).map((r) => r.id)).toEqual(['multi-stage', 'size', 'runs']);
    expect(results.every((r) => !r.passed)).toBe(true);
  });

  it("uses a verdict's own hint over the check's", () => {
    const crashed = run({ ready: false, exitCode: 1, logTail: ['exec /app: no such file or directory'], probes: [] });
    const [result] = evaluateChecks([checks[3]!], evidence({ image: image(), run: crashed }));
    expect(result!.hint).toMatch(/CGO_ENABLED=0/);
  });
});

describe('no-caches', () => {
  const check = noCaches();
  const file = (path: string, size = 100, layer = 0, deletedIn?: number) => ({ path, size, type: 'file' as const, layer, deletedIn });

  it.each([
    ['var/lib/apt/lists/deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages.lz4', "apt's package lists"],
    ['var/cache/apt/archives/gcc-14_14.2.0_amd64.deb', "apt's downloaded packages"],
    ['root/.npm/_cacache/index-v5/aa/bb', "npm's cache"],
    ['home/node/.npm/_cacache/content-v2/x', "npm's cache"],
    ['root/.cache/pip/http-v2/a/b', "pip's cache"],
    ['root/.cache/go-build/00/abc-d', "Go's build cache"],
  ])('finds %s as %s', (path, what) => {
    const v = check.evaluate(evidence({ image: image({ layers: [layer(0, 100, 3, 'RUN')] }, [file(path)]) }));
    expect(v.passed).toBe(false);
    expect(v.message).toMatch(new RegExp(`^found ${what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  });

  it('passes an image whose apt lists folder holds only the lock file, and says deleted caches still ship', () => {
    expect(check.evaluate(evidence({ image: image({}, [file('var/lib/apt/lists/lock', 0)]) })).passed).toBe(true);
    const deleted = check.evaluate(
      evidence({ image: image({ layers: [layer(0, 100, 3, 'RUN'), layer(1, 0, 4, 'RUN')] }, [file('root/.cache/pip/x', 100, 0, 1)]) }),
    );
    expect(deleted.message).toMatch(/deleted in layer 2, but still shipped$/);
  });
});

describe('cache-friendly', () => {
  const check = cacheFriendly({ installs: ['node'] });
  const df =
    'FROM node:20-trixie AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\nFROM node:20-trixie-slim\nCOPY --from=build /app/dist ./dist\n';
  const step = (name: string, cached: boolean) => ({ digest: name, name, cached, done: true, error: '', tail: [] });
  const rebuild = (steps: ReturnType<typeof step>[]) => ({
    touched: 'src/app.ts',
    build: { ok: true, imageId: 'x', steps, log: '', timedOut: false, durationMs: 1 },
  });

  it('fails when the install re-ran, naming the COPY that invalidated it', () => {
    const r = rebuild([
      step('[build 2/5] WORKDIR /app', true),
      step('[build 3/5] COPY . .', false),
      step('[build 4/5] RUN npm ci', false),
      step('[build 5/5] RUN npm run build', false),
    ]);
    const v = check.evaluate(evidence({ rebuild: r }, df));
    expect(v).toMatchObject({
      passed: false,
      message:
        'after editing src/app.ts, `RUN npm ci` (line 4) ran again: `COPY . .` (line 3) before it copies the edited file, so every source change invalidates the install',
    });
  });

  it('passes when every install step came from the cache', () => {
    const r = rebuild([step('[build 3/5] COPY . .', true), step('[build 4/5] RUN npm ci', true), step('[build 5/5] RUN npm run build', false)]);
    expect(check.evaluate(evidence({ rebuild: r }, df))).toMatchObject({
      passed: true,
      message: 'after editing src/app.ts, `RUN npm ci` (line 4) came from the cache',
    });
  });

  it('fails when nothing installs dependencies', () => {
    const r = rebuild([step('[build 3/5] COPY . .', false)]);
    const v = check.evaluate(evidence({ rebuild: r }, df));
    expect(v.message).toMatch(/^no RUN step installs the dependencies from package\.json .*\(such as `npm ci`, `pnpm install` or `yarn install`\)/);
    expect(v.hint).toMatch(/`npm install -g pnpm`, `corepack enable`\) is not the dependency install/);
  });

  // Issue 21: `npm install -g pnpm` was "the install" (cached, so a pass) while the real one re-ran.
  const pnpmDf =
    'FROM node:20-trixie AS build\nWORKDIR /app\nRUN npm install -g pnpm\nCOPY . .\nRUN pnpm install\nRUN pnpm run build\nFROM node:20-trixie-slim\nCOPY --from=build /app/dist ./dist\n';
  it('fails a pnpm install that re-ran, however the pnpm install itself came from the cache', () => {
    const r = rebuild([
      step('[build 3/6] RUN npm install -g pnpm', true),
      step('[build 4/6] COPY . .', false),
      step('[build 5/6] RUN pnpm install', false),
      step('[build 6/6] RUN pnpm run build', false),
    ]);
    expect(check.evaluate(evidence({ rebuild: r }, pnpmDf))).toMatchObject({
      passed: false,
      message:
        'after editing src/app.ts, `RUN pnpm install` (line 5) ran again: `COPY . .` (line 4) before it copies the edited file, so every source change invalidates the install',
    });
  });

  const corepackDf =
    'FROM node:20-trixie AS build\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN corepack enable && pnpm import && pnpm install --frozen-lockfile\nCOPY . .\nRUN pnpm run build\nFROM node:20-trixie-slim\nCOPY --from=build /app/dist ./dist\n';
  it('passes an install through corepack that came from the cache', () => {
    const r = rebuild([
      step('[build 3/6] COPY package.json package-lock.json ./', true),
      step('[build 4/6] RUN corepack enable && pnpm import && pnpm install --frozen-lockfile', true),
      step('[build 5/6] COPY . .', false),
      step('[build 6/6] RUN pnpm run build', false),
    ]);
    expect(check.evaluate(evidence({ rebuild: r }, corepackDf))).toMatchObject({
      passed: true,
      message: 'after editing src/app.ts, `RUN corepack enable && pnpm import && pnpm install --frozen-lockfile` (line 4) came from the cache',
    });
  });
});

// Issue 21: a RUN heredoc of shell commands is graded like the same commands on one line.
describe('cache-friendly, heredocs', () => {
  const check = cacheFriendly({ installs: ['node'] });
  const df = [
    'FROM node:20-trixie AS build',
    'WORKDIR /app',
    'COPY package.json package-lock.json ./',
    'RUN --mount=type=cache,target=/root/.npm <<EOF',
    'set -eux',
    'npm ci',
    'EOF',
    'COPY . .',
    'RUN <<EOF',
    'set -eux',
    'npm run build',
    'EOF',
    'FROM node:20-trixie-slim',
    'COPY --from=build /app/dist ./dist',
    '',
  ].join('\n');
  const step = (name: string, cached: boolean) => ({ digest: name, name, cached, done: true, error: '', tail: [] });
  // As Docker 28 names and orders them: newest first, a heredoc shown by its first line.
  const steps = (installCached: boolean) => [
    step('[build 6/6] RUN <<EOF (set -eux...)', false),
    step('[build 5/6] COPY . .', false),
    step('[build 4/6] RUN --mount=type=cache,target=/root/.npm <<EOF (set -eux...)', installCached),
    step('[build 3/6] COPY package.json package-lock.json ./', true),
  ];
  const rebuild = (installCached: boolean) => ({
    touched: 'src/app.ts',
    build: { ok: true, imageId: 'x', steps: steps(installCached), log: '', timedOut: false, durationMs: 1 },
  });

  it('finds the install in a heredoc and passes when it came from the cache', () => {
    expect(check.evaluate(evidence({ rebuild: rebuild(true) }, df))).toMatchObject({ passed: true });
    expect(check.evaluate(evidence({ rebuild: rebuild(true) }, df)).message).toMatch(/^after editing src\/app\.ts, `RUN .*` \(line 4\) came from the cache$/);
  });

  it('names the heredoc install that re-ran by its line', () => {
    const v = check.evaluate(evidence({ rebuild: rebuild(false) }, df));
    expect(v.passed).toBe(false);
    expect(v.message).toMatch(/\(line 4\) ran again/);
  });
});

describe('no-secrets', () => {
  const check = noSecrets();
  const file = (path: string, layer = 0, deletedIn?: number) => ({ path, size: 64, type: 'file' as const, layer, deletedIn });
  const layers = [layer(0, 64, 6, 'COPY'), layer(1, 0, 7, 'RUN')];

  it.each([
    ['app/.env', 'an environment file'],
    ['app/.env.production', 'an environment file'],
    ['root/.ssh/id_ed25519', 'a private key'],
    ['app/certs/server.key', 'a private key'],
    ['app/.npmrc', 'a credentials file'],
    ['app/.git/config', "a Git repository's history"],
  ])('finds %s as %s, deleted or not, naming the layer and line', (path, what) => {
    const v = check.evaluate(evidence({ image: image({ layers }, [file(path, 0, 1)]) }));
    expect(v.passed).toBe(false);
    expect(v.message).toContain(`found ${what}: /${path} (64 B), layer 1 of 2, added by \`COPY`);
    expect(v.message).toMatch(/\(Dockerfile line 6\); deleted in layer 2, but still shipped$/);
  });

  it("passes public certificates, examples and a base image's system files", () => {
    const files = [
      'etc/ssl/certs/ca-certificates.crt',
      'usr/share/ca-certificates/mozilla/x.crt',
      'app/.env.example',
      'usr/lib/python3/dist-packages/x.key',
    ].map((p) => file(p));
    const base = [layer(0, 64), layer(1, 0, 7, 'RUN')];
    expect(check.evaluate(evidence({ image: image({ layers: base }, [...files, file('app/.env.example')]) }))).toMatchObject({
      passed: true,
      message: 'no secret files in 2 layers (5 files), and none in the image config',
    });
  });

  it('exempts a folder only among base-image files: a key the Dockerfile copies under usr/share is found', () => {
    const v = check.evaluate(evidence({ image: image({ layers }, [file('usr/share/doc/app/server.key')]) }));
    expect(v.message).toMatch(/^found a private key: \/usr\/share\/doc\/app\/server\.key .*added by `COPY/);
  });
});

describe('non-root', () => {
  const check = nonRoot();

  it.each([[''], ['root'], ['0'], ['0:0']])('fails an image whose user is %j', (user) => {
    expect(check.evaluate(evidence({ image: image({ user }), run: run({ processUids: ['0'] }) })).message).toMatch(/^the image runs as root/);
  });

  it('fails when the configured user is not root but a process runs as uid 0', () => {
    expect(check.evaluate(evidence({ image: image({ user: 'app' }), run: run({ processUids: ['0', '1000'] }) })).message).toBe(
      'the image\'s user is "app", but 1 process(es) in the container run as uid 0',
    );
  });

  it('passes a non-root user whose processes are non-root too', () => {
    expect(check.evaluate(evidence({ image: image({ user: 'node' }), run: run({ processUids: ['1000'] }) }))).toMatchObject({
      passed: true,
      message: 'runs as "node" (uid 1000)',
    });
  });
});

describe('every check links to a slide that exists and teaches it', () => {
  it('covers the checks no lab uses yet', async () => {
    const { load } = await import('@slidev/parser/fs');
    const path = await import('node:path');
    const { REPO_ROOT } = await import('../../../graders/kit/locations.js');
    for (const c of [noSecrets(), nonRoot(), noCaches(), cacheFriendly({ installs: ['node'] })]) {
      const [, deck, n] = /^(slides\/[^#]+\.md)#(\d+)$/.exec(c.slide)!;
      const data = await load(path.join(REPO_ROOT, 'slides'), path.join(REPO_ROOT, deck!));
      expect(data.slides[Number(n) - 1]?.frontmatter.teaches, `${c.id} → ${c.slide}`).toContain(c.id);
    }
  });
});

describe('non-root without a process list', () => {
  it('is skipped, not passed, when the container did not stay up to list its processes', () => {
    const [result] = evaluateChecks([nonRoot()], evidence({ image: image({ user: 'node' }), run: run({ ready: false, processUids: [] }) }));
    expect(result).toMatchObject({ passed: false, skipped: true, message: 'skipped: the container did not stay up long enough to list its processes' });
  });
});

describe('builds: what to do next', () => {
  const failedRun = () => {
    const step = {
      digest: 'd',
      name: '[build 3/3] RUN go build -o /out/app .',
      cached: false,
      done: false,
      error: 'exit code: 1',
      tail: ['./main.go:3:1: syntax error'],
    };
    return { ok: false, error: 'exit code: 1', failedStep: step, steps: [step], log: '', timedOut: false, durationMs: 1 } satisfies BuildResult;
  };

  it("names the command that builds the student's own Dockerfile, not the starter", () => {
    const v = builds().evaluate(evidence({ build: failedRun(), labFolder: 'labs/lab1-go', dockerfile: 'attempts/try 2.Dockerfile' }));
    expect(v.hint).toContain("`docker build -f 'attempts/try 2.Dockerfile' labs/lab1-go`");
    const own = builds().evaluate(evidence({ build: failedRun(), labFolder: 'labs/lab1-go', dockerfile: 'labs/lab1-go/Dockerfile' }));
    expect(own.hint).toContain('`docker build labs/lab1-go`');
  });

  it('says which image is not on the machine, why, and which provisioned images serve instead', () => {
    const step = {
      digest: 'm',
      name: '[internal] load metadata for docker.io/library/golang:1.24-alpine',
      cached: false,
      done: false,
      error: 'failed',
      tail: [],
    };
    const error =
      'failed to solve with frontend dockerfile.v0: failed to create LLB definition: failed to do request: Head "https://registry-1.docker.io/v2/library/golang/manifests/1.24-alpine": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host';
    const build: BuildResult = { ok: false, error, failedStep: step, steps: [step], log: '', timedOut: false, durationMs: 1 };
    const v = builds().evaluate(evidence({ build }, 'FROM golang:1.24-alpine AS build\nRUN go version\nFROM scratch\nCOPY --from=build /a /a\n'));
    expect(v.message).toBe(
      'the image golang:1.24-alpine (`FROM golang:1.24-alpine AS build`, Dockerfile line 1) could not be used: it is not on this machine, and no registry can be reached from here to pull it',
    );
    expect(v.hint).toMatch(/^Use an image this machine has\. golang:1\.24-trixie serves instead; .*`npm run images -- list`/);
    expect(v.hint).not.toMatch(/first error above/);
  });
});

describe('multi-stage: a fan-in lab whose build stages are chained', () => {
  it('names which stage copies from which, with its line, and gives the lab its own hint', async () => {
    const { readFileSync } = await import('node:fs');
    const df = readFileSync(new URL('../../fixtures/lab5-fullstack/one-feeder.Dockerfile', import.meta.url), 'utf8');
    const v = multiStage({ feeders: 2, fanInHint: 'the lab 5 hint' }).evaluate(evidence({}, df));
    expect(v.message).toBe(
      "line 16: the final stage copies from 1 (backend) of the 2 build stages this lab wants; backend copies from frontend (`COPY --from=frontend /web/dist /out/www`, line 14), so frontend reaches the final image only through backend and the two build one after the other: copy each stage's output into the final stage itself",
    );
    expect(v.hint).toBe('the lab 5 hint');
  });
});

describe('runs: a shell-form ENTRYPOINT or CMD leads to the JSON form', () => {
  const refused = run({
    ready: false,
    refused: 'exec: "/bin/sh": stat /bin/sh: no such file or directory',
    problem: 'the engine would not start the container',
    logTail: [],
  });

  it('on scratch: the JSON form of the same ENTRYPOINT, not the COPY path', () => {
    const df = 'FROM golang:1.24-trixie AS build\nRUN go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /wordsmith\nENTRYPOINT /wordsmith\n';
    const v = runs().evaluate(evidence({ run: refused, image: image({ entrypoint: ['/bin/sh', '-c', '/wordsmith'] }) }, df));
    expect(v.hint).toBe(
      '`ENTRYPOINT /wordsmith` (Dockerfile line 5) is in the shell form: Docker runs it as `/bin/sh -c "/wordsmith"`, and scratch has no /bin/sh. Write it in the JSON form, which runs the program directly: `ENTRYPOINT ["/wordsmith"]`.',
    );
  });

  it('on distroless Java: CMD names only the jar, with no word of a prebuilt app', () => {
    const df =
      'FROM eclipse-temurin:21-jdk AS build\nRUN jar --create --file /out/app.jar -C classes .\nFROM gcr.io/distroless/java21-debian13\nCOPY --from=build /out/app.jar /app/app.jar\nCMD java -jar /app/app.jar\n';
    const exited = run({
      ready: false,
      exitCode: 1,
      problem: 'the container exited with code 1 before answering GET /healthz',
      logTail: ['Error: Unable to access jarfile /bin/sh'],
    });
    const v = runs().evaluate(
      evidence({ run: exited, image: image({ entrypoint: ['/usr/bin/java', '-jar'], cmd: ['/bin/sh', '-c', 'java -jar /app/app.jar'] }) }, df),
    );
    expect(v.hint).toMatch(
      /^`CMD java -jar \/app\/app\.jar` \(Dockerfile line 5\) is in the shell form, and gcr\.io\/distroless\/java21-debian13 already starts `\/usr\/bin\/java -jar` itself: .* must name only the jar, in the JSON form: `CMD \["\/app\/app\.jar"\]`\.$/,
    );
    expect(v.hint).not.toMatch(/prebuilt|built from the lab's sources/);
  });
});
