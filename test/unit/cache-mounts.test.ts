import { describe, expect, it } from 'vitest';
import { cacheNamespace, isolateCacheMounts } from '../../graders/prepare/cache-mounts.js';

describe('cache mounts isolated per submission', () => {
  const ns = cacheNamespace('lab1-go', '/home/student/labs/lab1-go/Dockerfile');

  it('gives every cache mount an id in the namespace, on the same line, and leaves other mounts alone', () => {
    const text = [
      'FROM golang:1.24-trixie AS build',
      'RUN --mount=type=cache,target=/root/.cache/go-build \\',
      '    --mount=type=bind,source=go.mod,target=go.mod CGO_ENABLED=0 go build .',
      'RUN --mount=type=cache,id=gomod,target=/go/pkg/mod go mod download',
      'RUN --mount="type=cache,target=/root/.npm" npm ci',
      '',
    ].join('\n');
    const out = isolateCacheMounts(text, ns);
    expect(out.split('\n')).toEqual([
      'FROM golang:1.24-trixie AS build',
      `RUN --mount=type=cache,target=/root/.cache/go-build,id=${ns}/root/.cache/go-build \\`,
      '    --mount=type=bind,source=go.mod,target=go.mod CGO_ENABLED=0 go build .',
      `RUN --mount=type=cache,target=/go/pkg/mod,id=${ns}/gomod go mod download`,
      `RUN --mount=type=cache,target=/root/.npm,id=${ns}/root/.npm npm ci`,
      '',
    ]);
  });

  it('one namespace per lab and Dockerfile (regrades share it), another per student in a batch', () => {
    expect(cacheNamespace('lab1-go', '/a/Dockerfile')).toBe(cacheNamespace('lab1-go', '/a/Dockerfile'));
    expect(cacheNamespace('lab1-go', '/a/Dockerfile')).not.toBe(cacheNamespace('lab1-go', '/b/Dockerfile'));
    expect(cacheNamespace('student', 'alice')).not.toBe(cacheNamespace('student', 'bob'));
    // A submission cannot name another's cache: its own id is put inside its namespace.
    expect(isolateCacheMounts(`FROM scratch\nRUN --mount=type=cache,id=${ns}/root/.cache/go-build,target=/x true`, cacheNamespace('student', 'mallory'))).not.toContain(`id=${ns}/`);
  });
});
