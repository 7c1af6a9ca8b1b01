import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { noSecrets } from '../../../graders/checks/no-secrets.js';
import { noToolchain } from '../../../graders/checks/no-toolchain.js';
import { multiStage } from '../../../graders/checks/multi-stage.js';
import { noCaches } from '../../../graders/checks/no-caches.js';
import { runs, stampOutsideTheApp } from '../../../graders/checks/runs.js';
import type { LabApp } from '../../../graders/run/app.js';
import type { FileEntry } from '../../../graders/inspect/layers.js';
import { size } from '../../../graders/checks/size.js';
import {
  C_SOURCES,
  FRONTEND_SOURCES,
  GCC,
  GO_SOURCES,
  GO_TOOLCHAIN,
  JAVA_SOURCES,
  JDK_TOOLS,
  NODE_TOOLCHAIN,
  PYTHON_HEADERS,
  findConfigSecrets,
  findFiles,
  hashIf,
  type KnownContent,
} from '../../../graders/findings/index.js';
import { ScanBudgetExceeded, scanLayer } from '../../../graders/inspect/layers.js';
import { evaluateChecks } from '../../../graders/pipeline/evaluate.js';
import { parseDockerfile } from '../../../graders/lint/dockerfile.js';
import { evidence, image, layer, run } from '../../helpers/evidence.js';
import { makeTar, streamOf } from '../../helpers/tar.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const GOFMT = Buffer.alloc(3000, 7);
const COMPILE = Buffer.alloc(5000, 9);
const known: KnownContent = {
  byHash: new Map([
    [sha(GOFMT), { path: 'usr/lib/go-1.24/bin/gofmt', what: 'the Go toolchain', image: 'golang:1.24-trixie' }],
    [sha(COMPILE), { path: 'usr/lib/go-1.24/pkg/tool/linux_amd64/compile', what: 'the Go toolchain', image: 'golang:1.24-trixie' }],
  ]),
  sizes: new Set([3000, 5000]),
  originals: new Set(['3000:usr/lib/go-1.24/bin/gofmt', '5000:usr/lib/go-1.24/pkg/tool/linux_amd64/compile']),
  byBuildId: new Map(),
};

describe('the layer scan reads content only where a rule needs it', () => {
  it('hashes size-matching files away from their own place, looks into tar, tar.gz, gzip and zip one level deep, and finds a needle', async () => {
    const inner = await makeTar([
      { name: 'c', content: COMPILE },
      { name: 'go/pkg/tool/linux_amd64/link', size: 10 },
    ]);
    const zip = await import('node:zlib');
    const tarball = await makeTar([
      { name: 'opt/x/fmt', content: GOFMT },
      { name: 'usr/lib/go-1.24/bin/gofmt', content: GOFMT },
      { name: 'opt/lib/tools.tgz', content: gzipSync(inner) },
      { name: 'data/assets.dat', content: inner },
      { name: 'etc/build-id', content: 'abc123def456abc123def456\n' },
      { name: 'etc/app.json', content: '{"build":"abc123def456abc123def456"}' },
      { name: 'opt/gofmt.gz', content: zip.gzipSync(GOFMT) },
    ]);
    const layer = await scanLayer(streamOf(tarball), 1, { hashIf: hashIf(known), needle: 'abc123def456abc123def456', archives: true });
    const byPath = new Map(layer.files.map((f) => [f.path, f]));
    expect(byPath.get('opt/x/fmt')!.sha256).toBe(sha(GOFMT));
    expect(byPath.get('usr/lib/go-1.24/bin/gofmt')!.sha256).toBeUndefined(); // at its own place: found by path
    expect(byPath.get('opt/lib/tools.tgz')!.archive).toBe('gzip');
    expect(byPath.get('data/assets.dat')!.archive).toBe('tar');
    expect(byPath.get('etc/build-id')!.needle).toBe('whole');
    expect(byPath.get('etc/app.json')!.needle).toBe('inside');
    expect(layer.members.map((m) => [m.inArchive, m.path, m.sha256 === sha(COMPILE) || m.sha256 === sha(GOFMT)])).toEqual([
      ['opt/lib/tools.tgz', 'c', true],
      ['opt/lib/tools.tgz', 'go/pkg/tool/linux_amd64/link', false],
      ['data/assets.dat', 'c', true],
      ['data/assets.dat', 'go/pkg/tool/linux_amd64/link', false],
      ['opt/gofmt.gz', 'gofmt', true],
    ]);
  });

  it('stops at its budget with a reason, never running out of memory', async () => {
    const long = 'd/'.repeat(1900);
    const tarball = await makeTar(Array.from({ length: 50 }, (_, i) => ({ name: `${long}${i}`, size: 1 })));
    await expect(scanLayer(streamOf(tarball), 0, { budget: { maxPathBytes: 100_000 } })).rejects.toThrow(ScanBudgetExceeded);
    await expect(scanLayer(streamOf(tarball), 0, { budget: { maxEntries: 10 } })).rejects.toThrow(/more than 10 files/);
  });

  it('a scan over its budget fails the layer checks with the reason, instead of skipping or crashing', () => {
    const scanned = image({
      files: undefined,
      layers: undefined,
      scanProblem: 'its file paths add up to more than 64 MiB of text (the most the grader reads)',
    });
    const [r] = evaluateChecks([noToolchain({ forbidden: [GO_TOOLCHAIN] })], evidence({ image: scanned }));
    expect(r).toMatchObject({
      passed: false,
      skipped: false,
      message: 'the image could not be checked: its file paths add up to more than 64 MiB of text (the most the grader reads)',
    });
  });
});

describe('no-toolchain: what a file is, and where it came from', () => {
  const layers = [{ ...layer(0, 1), baseImage: 'python:3.13-slim-trixie', baseIsToolchain: false }, layer(1, 1, 9, 'COPY')];
  const file = (path: string, l: number, extra: object = {}) => ({ path, size: 3000, type: 'file' as const, layer: l, ...extra });

  it("never counts what a runtime base ships (python slim's headers), always what the Dockerfile adds", () => {
    const check = noToolchain({ forbidden: [GCC, PYTHON_HEADERS, C_SOURCES] });
    const base = [file('usr/local/include/python3.13/Python.h', 0), file('usr/include/python3.13/Python.h', 0)];
    expect(check.evaluate(evidence({ image: image({ layers }, base) })).passed).toBe(true);
    const added = check.evaluate(evidence({ image: image({ layers }, [...base, file('usr/local/include/python3.13/Python.h', 1)]) }));
    expect(added.message).toMatch(/^found Python's C headers: \/usr\/local\/include\/python3\.13\/Python\.h .*added by `COPY/);
  });

  it('names a renamed toolchain file and what is packed in an archive, with layer and line', () => {
    const files = [file('opt/x/fmt', 1, { sha256: sha(GOFMT) }), file('opt/lib/tools.tgz', 1)];
    const members = [file('c', 1, { size: 5000, inArchive: 'opt/lib/tools.tgz', sha256: sha(COMPILE) })];
    const v = noToolchain({ forbidden: [GO_TOOLCHAIN] }).evaluate(evidence({ image: image({ layers, members }, files), known }));
    expect(v.message.split('\n')).toEqual([
      "found `c` in the archive /opt/lib/tools.tgz is the Go toolchain's compile, renamed (/usr/lib/go-1.24/pkg/tool/linux_amd64/compile in golang:1.24-trixie; 5 kB), layer 2 of 2, added by `COPY --from=build /out/app /app` (Dockerfile line 9)",
      "found `/opt/x/fmt` is the Go toolchain's gofmt, renamed (/usr/lib/go-1.24/bin/gofmt in golang:1.24-trixie; 3 kB), layer 2 of 2, added by `COPY --from=build /out/app /app` (Dockerfile line 9)",
    ]);
  });

  it('exempts a documentation folder only among base-image files: Go sources copied under usr/share/doc are found', () => {
    const files = [file('usr/share/doc/git/contrib/x.go', 0), file('usr/share/doc/go/strings/strings.go', 1)];
    const v = noToolchain({ forbidden: [GO_SOURCES] }).evaluate(evidence({ image: image({ layers: [layer(0, 1), layer(1, 1, 9)] }, files) }));
    expect(v.message).toBe(
      'found Go sources: /usr/share/doc/go/strings/strings.go (3 kB), layer 2 of 2, added by `COPY --from=build /out/app /app` (Dockerfile line 9)',
    );
  });

  it("recognises the lab's front-end files by their bytes wherever they are, and lets a built page pass anywhere", () => {
    const labKnown: KnownContent = {
      byHash: new Map([['t', { path: 'web/index.html', what: FRONTEND_SOURCES.what, image: 'the lab folder' }]]),
      sizes: new Set([531]),
      originals: new Set(),
      byBuildId: new Map(),
    };
    const check = noToolchain({ forbidden: [NODE_TOOLCHAIN, FRONTEND_SOURCES] });
    const built = [file('app/web/index.html', 1, { size: 600, sha256: 'built' }), file('srv/www/assets/main-AB12CD34.js', 1)];
    expect(check.evaluate(evidence({ image: image({ layers }, built), known: labKnown })).passed).toBe(true);
    const v = check.evaluate(evidence({ image: image({ layers }, [file('srv/www/index.html', 1, { size: 531, sha256: 't' })]), known: labKnown }));
    expect(v.message).toMatch(
      /^found front-end sources and build files: \/srv\/www\/index\.html \(531 B\), a copy of the lab's web\/index\.html, layer 2 of 2/,
    );
  });

  it('tells loose classes to go into a jar, and lets classes inside a jar pass', () => {
    const check = noToolchain({ forbidden: [JDK_TOOLS, JAVA_SOURCES] });
    const v = check.evaluate(evidence({ image: image({ layers }, [file('app/classes/App.class', 1)]) }));
    expect(v.hint).toMatch(/^Package the compiled classes into a jar/);
    const inJar = check.evaluate(
      evidence({ image: image({ layers, members: [file('dev/App.class', 1, { inArchive: 'app/app.jar' })] }, [file('app/app.jar', 1)]) }),
    );
    expect(inJar.passed).toBe(true);
  });
});

describe('the forbidden paths against upstream layouts and the stand-ins', () => {
  // labs/README.md, "Forbidden paths against upstream's layout", lists the same pairs.
  it.each([
    [GO_TOOLCHAIN, 'usr/local/go/bin/go', 'usr/lib/go-1.24/bin/go'],
    [GO_TOOLCHAIN, 'usr/local/go/pkg/tool/linux_amd64/compile', 'usr/lib/go-1.24/pkg/tool/linux_amd64/compile'],
    [NODE_TOOLCHAIN, 'usr/local/bin/node', 'usr/bin/node'],
    [NODE_TOOLCHAIN, 'usr/local/lib/node_modules/npm/package.json', 'usr/local/lib/node_modules/npm/package.json'],
    [PYTHON_HEADERS, 'usr/local/include/python3.13/Python.h', 'usr/local/include/python3.13/Python.h'],
    [JDK_TOOLS, 'opt/java/openjdk/bin/javac', 'usr/lib/jvm/java-21-openjdk-amd64/bin/javac'],
    [JDK_TOOLS, 'opt/java/openjdk/jmods/java.base.jmod', 'usr/lib/jvm/java-21-openjdk-amd64/jmods/java.base.jmod'],
  ])('%o finds upstream %s and the stand-in %s', (rule, upstream, standIn) => {
    for (const path of [upstream, standIn]) {
      expect(findFiles(image({ layers: [layer(0, 1, 3)] }, [{ path, size: 1, type: 'file', layer: 0 }]), [rule]).length, path).toBe(1);
    }
  });
});

describe('secrets beyond files', () => {
  const df =
    'FROM scratch\nCOPY app /app\nARG NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789\nLABEL deploy.key="sk_live_abcdefghijklmnop1234"\nENV HOOKRELAY_TOKEN=hr_live_4f9c2e7b1a8d6053e4b2c9f1a7d8e6b3 API_KEY=hunter22 GREETING=hello\nENV HOOKRELAY_TOKEN_FILE=/run/secrets/token\n';
  const lint = parseDockerfile(df);
  const scanned = image({
    env: [
      'PATH=/usr/bin',
      'HOOKRELAY_TOKEN=hr_live_4f9c2e7b1a8d6053e4b2c9f1a7d8e6b3',
      'API_KEY=hunter22',
      'GREETING=hello',
      'HOOKRELAY_TOKEN_FILE=/run/secrets/token',
      'GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D',
    ],
    labels: { 'deploy.key': 'sk_live_abcdefghijklmnop1234' },
    history: [{ createdBy: '|1 NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789 /bin/sh -c npm ci', emptyLayer: false }],
  });

  it("finds ENV, LABEL and recorded build arguments, masked, with the line that set them; a base image's GPG_KEY is not one", () => {
    const found = lint.ok ? findConfigSecrets(scanned, lint.dockerfile, { knownValues: ['hr_live_4f9c2e7b1a8d6053e4b2c9f1a7d8e6b3'] }) : [];
    expect(found.map((f) => [f.setting, f.line, f.what])).toEqual([
      ['ENV HOOKRELAY_TOKEN=hr_live_…e6b3', 5, "a credential in the image config (a value of the lab's .env)"],
      ['ENV API_KEY=…', 5, 'a credential in the image config (a value in a variable named API_KEY)'],
      ['LABEL deploy.key=sk_live…1234', 4, 'a credential in the image config (a value shaped like a live token)'],
      ['ARG NPM_TOKEN=npm_abcd…6789', 3, 'a credential in the image config (a value shaped like a live token)'],
    ]);
  });

  it('fails no-secrets naming the setting and its line', () => {
    const v = noSecrets({ knownValues: ['hr_live_4f9c2e7b1a8d6053e4b2c9f1a7d8e6b3'] }).evaluate({ lint, image: scanned });
    expect(v.message.split('\n')[0]).toBe(
      "found a credential in the image config (a value of the lab's .env): ENV HOOKRELAY_TOKEN=hr_live_…e6b3, set on Dockerfile line 5",
    );
  });
});

describe('the stamp must be compiled in', () => {
  const f = (path: string, needle: 'whole' | 'inside', extra: Partial<FileEntry> = {}): FileEntry => ({
    path,
    size: 25,
    type: 'file',
    layer: 1,
    needle,
    ...extra,
  });
  const layers = [layer(0, 1), layer(1, 1, 12)];
  it.each([
    ['binary', [f('wordsmith', 'inside', { compiled: true })], undefined],
    ['binary', [f('stamp.txt', 'whole')], /ships this build's stamp as a file of its own: \/stamp\.txt/],
    ['binary', [f('wordsmith', 'inside', { compiled: true }), f('etc/app.json', 'inside')], /stamp is in \/etc\/app\.json .*a data file/],
    ['binary', [f('stamp.txt', 'whole', { deletedIn: 2 })], undefined],
    ['javascript', [f('app/dist/stamp.generated.js', 'inside')], undefined],
    ['jar', [f('stamp.txt', 'whole', { inArchive: 'app/numerals.jar' })], undefined],
    ['jar', [f('app/classes/stamp.txt', 'whole'), { path: 'app/classes/dev/App.class', size: 900, type: 'file', layer: 1 }], undefined],
    ['jar', [f('app/stamp.txt', 'whole')], /ships this build's stamp as a file of its own: \/app\/stamp\.txt/],
    ['binary', [f('stamp.txt', 'whole', { inArchive: 'opt/s.tgz' })], /stamp\.txt in the archive \/opt\/s\.tgz/],
  ] as [LabApp['stampIn'], FileEntry[], RegExp | undefined][])('stampIn %s: %j', (stampIn, files, expected) => {
    const plain = files.filter((x) => !x.inArchive);
    const members = files.filter((x) => x.inArchive);
    const found = stampOutsideTheApp(image({ layers, members }, [...plain, { path: 'opt/s.tgz', size: 1, type: 'file', layer: 1 }]), stampIn);
    if (expected) expect(found?.why).toMatch(expected);
    else expect(found).toBeUndefined();
  });

  it('fails runs with the reason and the way to fix it', () => {
    const v = runs().evaluate(evidence({ run: run(), image: image({ layers }, [f('etc/build-id', 'whole')]), stamp: 'x' }));
    expect(v.message).toMatch(
      /^the final image ships this build's stamp as a file of its own: \/etc\/build-id \(layer 2 of 2, added by .*\(Dockerfile line 12\)\): \/stamp must be answered by an app built in this Dockerfile/,
    );
    expect(v.hint).toMatch(/^Build the app in the Dockerfile from the lab's sources/);
  });
});

describe('messages that lead to the fix', () => {
  it('no-caches: npm ci fills the cache, so the hint cleans it or mounts it', () => {
    expect(noCaches().hint).toContain("`npm ci --omit=dev && npm cache clean --force` (npm ci fills npm's cache too)");
    expect(noCaches().hint).toContain('RUN --mount=type=cache,target=/root/.npm');
  });

  it('size: the largest layers the Dockerfile added, and the base in one phrase', () => {
    const layers = [
      { ...layer(0, 78_500_000), baseImage: 'node:20-trixie-slim' },
      { ...layer(1, 120_000_000), baseImage: 'node:20-trixie-slim' },
      layer(2, 66_000_000, 13),
      layer(3, 400_000, 14),
    ];
    const v = size({ ceiling: 240_000_000 }).evaluate(evidence({ image: image({ size: 264_900_000, layers }) }));
    expect(v.message).toBe(
      "265 MB (ceiling 240 MB); the base image node:20-trixie-slim brings 199 MB (2 layers); your Dockerfile's largest layers are 66 MB: layer 3 of 4, added by `COPY --from=build /out/app /app` (Dockerfile line 13); then 400 kB: layer 4 of 4, added by `COPY --from=build /out/app /app` (Dockerfile line 14)",
    );
  });

  it('multi-stage: every problem on its own line, the toolchain through a shared stage first', () => {
    const df = 'FROM golang:1.24-trixie\nWORKDIR /src\nFROM 0 AS build\nRUN go build .\nFROM golang:1.24-trixie AS base\nFROM base\nCOPY --from=0 /src /app\n';
    const v = multiStage().evaluate(evidence({}, df));
    expect(v.message.split('\n')).toEqual([
      'line 5: the final image is built on golang:1.24-trixie, a toolchain image: the final stage is `FROM base` (line 6), which starts from golang:1.24-trixie',
      'line 7: `COPY --from=0 /src /app` copies by stage number; numbers change when stages move',
      'line 1: stage 0 (`FROM golang:1.24-trixie`) has no name: add `AS <name>`',
    ]);
  });

  it('multi-stage: a fan-in dependency names the COPY --from that makes it', () => {
    const df =
      'FROM node:20-trixie AS frontend\nRUN npm run build\nFROM golang:1.24-trixie AS backend\nCOPY --from=frontend /web/dist ./dist\nRUN go build .\nFROM scratch\nCOPY --from=frontend /web/dist /srv\nCOPY --from=backend /out/app /app\n';
    const v = multiStage({ feeders: 2 }).evaluate(evidence({}, df));
    expect(v.message).toBe(
      'line 4: build stage backend needs frontend (`COPY --from=frontend /web/dist ./dist`, line 4), so they cannot build side by side: give each its own base and sources',
    );
  });

  it('runs: a missing shared library and an x509 error get the hint that fits', () => {
    const lib = runs().evaluate(
      evidence({
        run: run({
          ready: false,
          exitCode: 127,
          problem: 'the container exited with code 127 before answering GET /healthz',
          logTail: ['/opt/jre/bin/java: error while loading shared libraries: libstdc++.so.6: cannot open shared object file: No such file or directory'],
          probes: [],
        }),
      }),
    );
    expect(lib.hint).toMatch(/distroless\/cc-debian13 has libstdc\+\+ and libgcc \(a jlink runtime needs them\)/);
    const tls = runs().evaluate(
      evidence({
        run: run({
          probes: [
            {
              name: 'GET /tls/roots',
              ok: false,
              status: 200,
              problem: 'reported 0 trusted root certificates: every HTTPS call the app makes would fail with "x509: certificate signed by unknown authority"',
              ms: 1,
            },
          ],
        }),
      }),
    );
    expect(tls.hint).toMatch(/no CA bundle. Copy \/etc\/ssl\/certs\/ca-certificates\.crt/);
  });
});

describe('archives that are a cache', () => {
  it("no-toolchain leaves the package tarballs in npm's cache to no-caches", () => {
    const files = [{ path: 'root/.npm/_cacache/content-v2/sha512/ab/cd/ef', size: 100, type: 'file' as const, layer: 1, archive: 'gzip' as const }];
    const members = [{ path: 'package/src/index.ts', size: 50, type: 'file' as const, layer: 1, inArchive: 'root/.npm/_cacache/content-v2/sha512/ab/cd/ef' }];
    const { TYPESCRIPT_SOURCES } = { TYPESCRIPT_SOURCES: { kind: 'toolchain' as const, what: 'TypeScript sources', globs: ['**/*.ts'] } };
    expect(
      noToolchain({ forbidden: [TYPESCRIPT_SOURCES] }).evaluate(evidence({ image: image({ layers: [layer(0, 1), layer(1, 1, 9)], members }, files) })).passed,
    ).toBe(true);
  });
});

describe("what a toolchain image's content index leaves out", () => {
  it('texts any image may carry word for word (a license Debian also ships), not the tools or their sources', async () => {
    const { neverIndexed } = await import('../../../graders/findings/content-index.js');
    for (const p of [
      'usr/share/go-1.24/src/cmd/vendor/github.com/google/pprof/LICENSE',
      'usr/lib/go/LICENSE.txt',
      'opt/java/openjdk/legal/java.base/COPYING-GPL',
      'usr/lib/go/README.md',
      'usr/lib/go/src/time/testdata/x',
    ]) {
      expect(neverIndexed(p), p).toBe(true);
    }
    for (const p of [
      'usr/lib/go-1.24/pkg/tool/linux_amd64/compile',
      'usr/bin/gofmt',
      'usr/lib/go/src/go/doc/notice.go',
      'usr/libexec/gcc/x86_64-linux-gnu/14/cc1',
    ]) {
      expect(neverIndexed(p), p).toBe(false);
    }
  });
});
