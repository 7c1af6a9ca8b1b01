import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { parseDockerfile } from '../../../graders/lint/dockerfile.js';
import { cacheMountTargets, cacheNamespace, isolateCacheMounts, seedDockerfile } from '../../../graders/prepare/cache-mounts.js';
import { scratchCacheDir } from '../../helpers/cache-dir.js';

// The key made here is this file's alone.
const cacheDir = scratchCacheDir('stagecraft-cache-key-');

const ns = () => cacheNamespace('lab1-go', '/home/student/labs/lab1-go/Dockerfile');

describe('cache mounts isolated per submission', () => {
  it('gives every cache mount an id in the namespace, on the same line, and leaves other mounts alone', () => {
    const text = [
      'FROM golang:1.24-trixie AS build',
      'RUN --mount=type=cache,target=/root/.cache/go-build \\',
      '    --mount=type=bind,source=go.mod,target=go.mod CGO_ENABLED=0 go build .',
      'RUN --mount=type=cache,id=gomod,target=/go/pkg/mod go mod download',
      'RUN --mount="type=cache,target=/root/.npm" npm ci',
      '',
    ].join('\n');
    const out = isolateCacheMounts(text, ns());
    expect(out.split('\n')).toEqual([
      'FROM golang:1.24-trixie AS build',
      `RUN --mount=type=cache,target=/root/.cache/go-build,id=${ns()}/root/.cache/go-build \\`,
      '    --mount=type=bind,source=go.mod,target=go.mod CGO_ENABLED=0 go build .',
      `RUN --mount=type=cache,target=/go/pkg/mod,id=${ns()}/gomod go mod download`,
      `RUN --mount=type=cache,target=/root/.npm,id=${ns()}/root/.npm npm ci`,
      '',
    ]);
  });

  it.each([
    // issue 20 item 5, word for word: the old rewrite stopped at the backslash and BuildKit took the last id.
    ['RUN --mount=type=cache,target=/c\\,id=X cat /c/planted', `RUN --mount=type=cache,target=/c,id=NS/X cat /c/planted`],
    ['RUN --mount=TYPE=Cache,Target=/c,ID=X true', 'RUN --mount=type=Cache,target=/c,id=NS/X true'],
    ['RUN --mount=\'type=cache,"id=X",target=/c\' true', 'RUN --mount=type=cache,target=/c,id=NS/X true'],
    ['RUN --mount=type=cache,id=X,target=/c,id=Y true', 'RUN --mount=type=cache,target=/c,id=NS/Y true'],
    ['RUN --mount=type=cache,target=/c,id=../../x y true', 'RUN --mount=type=cache,target=/c,id=NS/../../x y true'],
  ])("rebuilds %j from the fields BuildKit reads: one id, the grader's, whatever the spelling", (line, expected) => {
    const out = isolateCacheMounts(`FROM golang:1.24-trixie\n${line}\n`, ns()).split('\n')[1]!;
    // The one id BuildKit will read, as it reads it: the last `id` key, any case.
    const ids = [...out.matchAll(/[,=]id=([^,\s]+)/gi)].map((m) => m[1]);
    expect(ids).toEqual([
      expected
        .match(/id=(\S+)/)![1]!
        .replace('NS', ns())
        .replace(/,.*$/, ''),
    ]);
    expect(out).toBe(expected.replace('NS', ns()));
  });

  it('one namespace per lab and Dockerfile (regrades share it), another per student in a batch', () => {
    expect(cacheNamespace('lab1-go', '/a/Dockerfile')).toBe(cacheNamespace('lab1-go', '/a/Dockerfile'));
    expect(cacheNamespace('lab1-go', '/a/Dockerfile')).not.toBe(cacheNamespace('lab1-go', '/b/Dockerfile'));
    expect(cacheNamespace('student', 'alice')).not.toBe(cacheNamespace('student', 'bob'));
    // A submission cannot name another's cache: its own id is put inside its namespace.
    expect(
      isolateCacheMounts(`FROM scratch\nRUN --mount=type=cache,id=${ns()}/root/.cache/go-build,target=/x true`, cacheNamespace('student', 'mallory')),
    ).not.toContain(`id=${ns()}/`);
  });

  it('namespaces are keyed by a secret of this installation, kept readable by its owner only: not computable from a folder name', async () => {
    const { createHash } = await import('node:crypto');
    const unkeyed = `stagecraft-${createHash('sha256').update('student\u0000alice').digest('hex').slice(0, 16)}`;
    expect(cacheNamespace('student', 'alice')).not.toBe(unkeyed);
    const keyFile = path.join(cacheDir(), 'cache-mount-key');
    expect((await readFile(keyFile, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  });
});

describe("warm caches: the reference solution seeds a grade's cache mounts", () => {
  const solution = (name: string) => readFileSync(path.join(REPO_ROOT, 'solutions', name, 'Dockerfile'), 'utf8');

  it('adds a stage per cache to the solution, copying what its build left, and one last stage that holds them all', () => {
    const seed = seedDockerfile(solution('lab5-fullstack'))!;
    expect(seed.sources).toEqual({ '/root/.npm': '/0', '/root/.cache/go-build': '/1' });
    const added = seed.text.slice(solution('lab5-fullstack').length).trim().split('\n');
    expect(added).toEqual([
      'FROM frontend AS stagecraft-seed-0',
      'USER 0',
      'RUN --mount=type=cache,target=/root/.npm mkdir -p /stagecraft-seed/0 && cp -a "/root/.npm/." /stagecraft-seed/0/',
      'FROM backend AS stagecraft-seed-1',
      'USER 0',
      'RUN --mount=type=cache,target=/root/.cache/go-build mkdir -p /stagecraft-seed/1 && cp -a "/root/.cache/go-build/." /stagecraft-seed/1/',
      'FROM scratch AS stagecraft-seeds',
      'COPY --from=stagecraft-seed-0 /stagecraft-seed/0 /0',
      'COPY --from=stagecraft-seed-1 /stagecraft-seed/1 /1',
    ]);
    // The seed's own mounts are isolated as any build's: the copy reads the cache the solution's build wrote.
    expect(parseDockerfile(seed.text).ok).toBe(true);
    // lab 2 mounts /root/.npm twice: one cache, one copy.
    expect(seedDockerfile(solution('lab2-node'))!.sources).toEqual({ '/root/.npm': '/0' });
    // Nothing to warm: no cache mount, or only in an unnamed stage.
    expect(seedDockerfile(solution('lab3-python'))).toBeUndefined();
    expect(seedDockerfile('FROM golang:1.24-trixie\nRUN --mount=type=cache,target=/root/.cache/go-build go build .\n')).toBeUndefined();
  });

  it("a grade's cache mount with the same target starts from the seed, in its own namespace; other mounts and the student's own from= are left alone", () => {
    const seed = { image: 'stagecraft-seed/lab1-go:0123456789abcdef', sources: { '/root/.cache/go-build': '/0' } };
    const text = [
      'FROM golang:1.24-trixie AS build',
      'RUN --mount=type=cache,target=/root/.cache/go-build/ go build .',
      'RUN --mount=type=cache,id=mine,dst=/root/.cache/go-build,sharing=locked go vet .',
      'RUN --mount=type=cache,target=/root/.cache/go-build,from=build,source=/c go build .',
      'RUN --mount=type=cache,target=/go/pkg/mod go mod download',
      '',
    ].join('\n');
    expect(isolateCacheMounts(text, ns(), seed).split('\n')).toEqual([
      'FROM golang:1.24-trixie AS build',
      `RUN --mount=type=cache,target=/root/.cache/go-build/,from=${seed.image},source=/0,id=${ns()}/root/.cache/go-build/ go build .`,
      `RUN --mount=type=cache,dst=/root/.cache/go-build,sharing=locked,from=${seed.image},source=/0,id=${ns()}/mine go vet .`,
      `RUN --mount=type=cache,target=/root/.cache/go-build,from=build,source=/c,id=${ns()}/root/.cache/go-build go build .`,
      `RUN --mount=type=cache,target=/go/pkg/mod,id=${ns()}/go/pkg/mod go mod download`,
      '',
    ]);
    expect(cacheMountTargets(text)).toEqual(['/root/.cache/go-build', '/root/.cache/go-build', '/root/.cache/go-build', '/go/pkg/mod']);
  });
});
