import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildResult, BuildStep } from '../../../graders/buildkit/build.js';
import { builds, cacheFriendly, multiStage, noCaches, noSecrets, noToolchain, nonRoot, runs, size } from '../../../graders/checks/index.js';
import type { Check, Evidence } from '../../../graders/checks/types.js';
import { GO_TOOLCHAIN } from '../../../graders/findings/index.js';
import type { FileEntry } from '../../../graders/inspect/layers.js';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { allLabs } from '../../../graders/lab.js';
import { evaluateChecks } from '../../../graders/pipeline/evaluate.js';
import { parseDockerfile, type ParseResult } from '../../../graders/lint/dockerfile.js';
import { vet, vetBytes } from '../../../graders/lint/policy.js';
import { evidence, image, layer, run } from '../../helpers/evidence.js';

/**
 * What must never reach a student's report (issue 21): a regular expression (the grader's
 * way of matching, not the student's mistake) or an internal name (a variable, a field).
 */
const REGEX_LIKE: [RegExp, string][] = [
  [/\\[bBdDsSwW]/, 'an escape class such as \\b or \\d'],
  [/\(\?[:=!<]/, 'a group such as (?:'],
  [/\[\^/, 'a negated class such as [^'],
  [/\.[*+]\??/, 'a wildcard such as .*'],
  [/[/(]\^|\$[/)]/, 'an anchored pattern such as /^ or (^'],
  [/\([\w-]+(?:\|[\w-]+)+\)/, 'an alternation such as (ci|install)'],
];
const INTERNAL: [RegExp, string][] = [
  [/\b[a-z]+(?:[A-Z][a-z0-9]+)+\b/, 'a camelCase identifier'],
  [/\bundefined\b|\bnull\b|\bNaN\b|\[object Object\]/, 'a value that was never filled in'],
  [/\b(?:Evidence|Verdict|BuildResult|RunResult|ImageFacts|Finding|PathRule)\b/, 'a type of the grader'],
];

function problemsIn(text: string): string[] {
  return [...REGEX_LIKE, ...INTERNAL].filter(([re]) => re.test(text)).map(([re, what]) => `${what}: ${re.exec(text)![0]} in ${JSON.stringify(text)}`);
}

const step = (name: string, more: Partial<BuildStep> = {}): BuildStep => ({ digest: name, name, cached: false, done: true, error: '', tail: [], ...more });
const failedBuild = (s: BuildStep, error: string, more: Partial<BuildResult> = {}): BuildResult => ({
  ok: false,
  error,
  failedStep: s,
  steps: [s],
  log: '',
  timedOut: false,
  durationMs: 1,
  ...more,
});
const okBuild = (steps: BuildStep[] = []): BuildResult => ({ ok: true, imageId: 'sha256:abc', steps, log: '', timedOut: false, durationMs: 4200 });
const file = (p: string, more: Partial<FileEntry> = {}): FileEntry => ({ path: p, size: 2048, type: 'file', layer: 1, ...more });

/** Results of every kind a grade can produce, on this Dockerfile: each pipeline stage failing its ways, and passing. */
function outcomes(lint: ParseResult): Evidence[] {
  const base = { lint, labFolder: 'labs/lab2-node', dockerfile: 'attempts/try.Dockerfile' };
  const layers = [layer(0, 80_000_000), layer(1, 300_000_000, 6, 'RUN'), layer(2, 1_000, 8, 'COPY')];
  const files = [
    file('usr/lib/go-1.24/bin/go'),
    file('app/node_modules/typescript/lib/tsc.js'),
    file('app/src/app.ts'),
    file('root/.npm/_cacache/index-v5/aa/bb'),
    file('var/lib/apt/lists/deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages.lz4', { deletedIn: 2 }),
    file('app/.env'),
    file('etc/stamp', { needle: 'whole', layer: 2 }),
    file('opt/big.tar', { notLookedInto: 'it is larger than the scan reads (3 GB)', layer: 2 }),
  ];
  const big = image({ size: 400_000_000, layers, user: '', env: ['API_TOKEN=x'] }, files);
  const installRan = {
    touched: 'src/app.ts',
    build: okBuild([step('[build 3/5] COPY . .'), step('[build 4/5] RUN npm ci'), step('[build 5/5] RUN pnpm install')]),
  };
  const noInstall = { touched: 'src/app.ts', build: okBuild([step('[build 3/5] COPY . .'), step('[build 4/5] RUN npm install -g pnpm')]) };
  const go = step('[build 3/3] RUN CGO_ENABLED=0 go build -o /out/app .', { done: false, error: 'exit code: 1', tail: ['./main.go:3:1: syntax error'] });
  const metadata = step('[internal] load metadata for docker.io/library/golang:1.24-alpine', { done: false, error: 'failed' });
  return [
    { ...base },
    { ...base, build: failedBuild(go, 'executor failed running [/bin/sh -c CGO_ENABLED=0 go build -o /out/app .]: exit code: 1') },
    { ...base, build: failedBuild(go, 'exit code: 1', { wantedNetwork: true } as Partial<BuildResult>) },
    {
      ...base,
      build: failedBuild(
        metadata,
        'failed to solve: failed to do request: Head "https://registry-1.docker.io/v2/library/golang/manifests/1.24-alpine": dial tcp: lookup registry-1.docker.io: no such host',
      ),
    },
    { ...base, build: failedBuild(metadata, 'failed to solve: pull access denied for golang, repository does not exist or may require authorization') },
    {
      ...base,
      build: okBuild(),
      image: big,
      stamp: 'nonce',
      run: run({
        ready: false,
        refused: 'exec: "/bin/sh": stat /bin/sh: no such file or directory',
        problem: 'the engine would not start the container',
        processUids: [],
      }),
      rebuild: installRan,
    },
    {
      ...base,
      build: okBuild(),
      image: image({ entrypoint: ['/usr/bin/java', '-jar'] }),
      run: run({
        ready: false,
        exitCode: 1,
        problem: 'the container exited with code 1 before answering GET /healthz',
        logTail: ['Error: Unable to access jarfile /bin/sh'],
      }),
      rebuild: noInstall,
    },
    {
      ...base,
      build: okBuild(),
      image: image(),
      run: run({
        probes: [{ name: "GET /stamp (this build's stamp)", ok: false, status: 200, problem: 'answered "0" instead of the stamp', ms: 2 }],
        processUids: ['0'],
      }),
    },
    { ...base, build: okBuild(), image: image({ scanProblem: 'it holds more than 200000 files' }), run: run() },
    { ...base, build: okBuild(), image: image(), run: run(), rebuild: { touched: 'src/app.ts', build: failedBuild(go, 'exit code: 1') } },
  ];
}

/** Every check the kit has: the labs' own, and each kind with its options. */
async function everyCheck(): Promise<Check[]> {
  const labs = await allLabs();
  return [
    ...labs.flatMap((l) => l.checks),
    builds(),
    multiStage({ feeders: 2 }),
    size({ ceiling: 20_000_000 }),
    noToolchain({ forbidden: [GO_TOOLCHAIN] }),
    runs(),
    noSecrets(),
    noCaches(),
    nonRoot(),
    ...(['node', 'python', 'java', 'go'] as const).map((e) => cacheFriendly({ installs: [e] })),
  ];
}

/** Every Dockerfile the kit ships or tests with: starters, solutions, fixtures. */
async function everyDockerfile(): Promise<[string, string][]> {
  const found: [string, string][] = [];
  for (const top of ['labs', 'solutions']) {
    for (const lab of await readdir(path.join(REPO_ROOT, top))) {
      const file = path.join(REPO_ROOT, top, lab, 'Dockerfile');
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) found.push([path.relative(REPO_ROOT, file), text]);
    }
  }
  const fixtures = path.join(REPO_ROOT, 'test', 'fixtures');
  for (const dir of await readdir(fixtures)) {
    for (const f of (await readdir(path.join(fixtures, dir)).catch(() => [] as string[])).filter((n) => n.endsWith('.Dockerfile'))) {
      found.push([`test/fixtures/${dir}/${f}`, await readFile(path.join(fixtures, dir, f), 'utf8')]);
    }
  }
  return found;
}

describe("no regular expression or internal name reaches a student's report", () => {
  it('holds for every check, on every Dockerfile of the kit, for every kind of result', async () => {
    const checks = await everyCheck();
    // The checks that read the Dockerfile run on every one; those that read only the image's
    // files (their layers name their own lines) on the first, once per kind of result.
    // (One of each kind: the labs' builds, say, differ only in the lab's name.)
    const kinds = new Map(
      checks.filter((c) => ['builds', 'multi-stage', 'runs', 'cache-friendly'].includes(c.id)).map((c) => [`${c.id}\u0000${c.title}\u0000${c.hint}`, c]),
    );
    const readDockerfile = [...kinds.values()].filter((c, i, all) => c.id !== 'builds' || all.findIndex((o) => o.id === 'builds') === i);
    const dockerfiles = await everyDockerfile();
    expect(dockerfiles.length).toBeGreaterThan(60);
    const problems = new Set<string>();
    let seen = 0;
    for (const [i, [name, text]] of dockerfiles.entries()) {
      const early = vetBytes(Buffer.from(text));
      const lint = parseDockerfile(text);
      const refusal = early ?? (lint.ok ? vet(lint.dockerfile, { allowImages: [] }) : undefined);
      for (const e of [...outcomes(lint), { ...evidence({}, text), lint, refusal }]) {
        for (const r of evaluateChecks(i === 0 ? checks : readDockerfile, e)) {
          seen++;
          for (const p of [...problemsIn(r.message), ...problemsIn(r.hint), ...problemsIn(r.title)]) problems.add(`${name} · ${r.id}: ${p}`);
        }
      }
    }
    expect(seen).toBeGreaterThan(3_000);
    expect([...problems]).toEqual([]);
  }, 60_000);

  it('catches what it is for: the regular expression issue 21 found in a report', () => {
    expect(problemsIn('no step installs the dependencies (^RUN\\b.*\\bnpm (ci|install|i)\\b), so there is no install layer to reuse')).toHaveLength(4);
    expect(problemsIn('after editing src/app.ts, `RUN pnpm install` (line 5) ran again')).toEqual([]);
    expect(problemsIn('set installStep in the lab')).toHaveLength(1);
  });
});
