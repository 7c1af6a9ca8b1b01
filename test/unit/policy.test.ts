import { describe, expect, it } from 'vitest';
import { builds } from '../../graders/checks/builds.js';
import { parseDockerfile, type ParsedDockerfile } from '../../graders/lint/dockerfile.js';
import { vet, vetBytes } from '../../graders/lint/policy.js';
import { evaluateChecks } from '../../graders/pipeline/evaluate.js';
import { size } from '../../graders/checks/size.js';

function parsed(text: string): ParsedDockerfile {
  const r = parseDockerfile(text);
  if (!r.ok) throw new Error(r.problem.message);
  return r.dockerfile;
}

describe('the build policy', () => {
  it.each([
    'ADD http://127.0.0.1:8080/stamp /stamp',
    'ADD https://example.org/tool.tgz /opt/',
    'ADD --chmod=755 https://example.org/x /x',
    'ADD git@github.com:someone/repo.git /src',
  ])('refuses %j, naming its line', (line) => {
    const refusal = vet(parsed(`FROM scratch\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toMatch(/^line 2: `ADD .*` downloads from a URL; .* COPY it by its name$/);
  });

  it('lets ADD of a local file and COPY through', () => {
    expect(vet(parsed('FROM scratch\nADD app.tar.gz /\nCOPY http.go /src/\n'))).toBeUndefined();
  });

  it.each([
    ['RUN --network=host curl http://127.0.0.1:2375/info', /^line 2: `RUN --network=host curl .*` asks for the grading machine's own network; graded builds never get it: remove the --network=host flag$/],
    ['RUN --security=insecure mount -t tmpfs none /mnt', /^line 2: `RUN --security=insecure mount .*` asks for every privilege of the grading machine; .* remove the --security=insecure flag$/],
  ])('refuses %j: no entitlement is ever granted', (line, message) => {
    const refusal = vet(parsed(`FROM debian:trixie-slim\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toMatch(message);
  });

  it('lets RUN --network=none and --mount through', () => {
    expect(vet(parsed('FROM debian:trixie-slim\nRUN --network=none --mount=type=cache,target=/c true\n'))).toBeUndefined();
  });

  it('refuses more than 32 stages or 500 instructions, in one line', () => {
    expect(vet(parsed('FROM scratch\n'.repeat(300)))).toEqual({ line: 33, message: 'the Dockerfile has 300 stages (FROM lines); the grader builds at most 32, and a lab needs two to four' });
    expect(vet(parsed(`FROM scratch\n${'LABEL a=b\n'.repeat(600)}`))).toEqual({ message: 'the Dockerfile has 601 instructions; the grader builds at most 500, and a lab needs a few dozen' });
    expect(vet(parsed(`${'FROM scratch\n'.repeat(32)}${'LABEL a=b\n'.repeat(468)}`))).toBeUndefined();
  });

  it('a refusal fails builds with its line, and every check that needs a build is skipped with the reason', () => {
    const df = 'FROM scratch\nADD http://127.0.0.1:1/x /x\n';
    const lint = parseDockerfile(df);
    const refusal = lint.ok ? vet(lint.dockerfile) : undefined;
    const [b, s] = evaluateChecks([builds(), size({ ceiling: 1 })], { lint, refusal });
    expect(b).toMatchObject({ passed: false, skipped: false, details: { line: 2 } });
    expect(b!.message).toMatch(/^refused: line 2: /);
    expect(s).toMatchObject({ passed: false, skipped: true, message: 'skipped: the Dockerfile was refused, so nothing was built' });
  });
});

describe('only known images feed a grade', () => {
  it.each([
    ['FROM stagecraft/lab1-go\n', 1, 'stagecraft/lab1-go'],
    ['FROM golang:1.24-trixie AS build\nFROM scratch\nCOPY --from=stagecraft/lab1-go /wordsmith /wordsmith\n', 3, 'stagecraft/lab1-go'],
    ['FROM golang:1.24-trixie AS build\nRUN --mount=type=bind,from=ghcr.io/someone/prebuilt:1,source=/app,target=/x cp /x /out\n', 2, 'ghcr.io/someone/prebuilt:1'],
    ['FROM golang:1.24\n', 1, 'golang:1.24'],
    ['FROM docker.io/someone/golang:1.24-trixie\n', 1, 'docker.io/someone/golang:1.24-trixie'],
  ])('refuses %j with one line that lists what is allowed', (text, line, ref) => {
    const refusal = vet(parsed(text));
    expect(refusal?.line).toBe(line);
    expect(refusal?.message).toContain(`uses the image ${ref}, which this lab does not allow`);
    expect(refusal?.message).toMatch(/a stage of this Dockerfile, scratch, or one of: debian:trixie-slim, golang:1\.24-trixie, .*eclipse-temurin:21-jre, gcr\.io\/distroless\/… \(any image and tag\), alpine, .*eclipse-temurin:…$/);
    expect(refusal?.message).not.toContain('\n');
  });

  it.each([
    'FROM golang:1.24-trixie AS build\nFROM gcr.io/distroless/static-debian13:nonroot\nCOPY --from=build /a /a\n',
    'FROM golang:1.24-alpine AS build\nFROM alpine:3.22\nCOPY --from=build /a /a\n',
    'FROM alpine\n',
    'FROM node:20-alpine AS b\nFROM node:22-bookworm-slim\nCOPY --from=b /a /a\n',
    'FROM python:3.13-slim-bookworm\n',
    'FROM eclipse-temurin:21-jre-alpine\n',
    'FROM docker.io/library/golang:1.24-trixie@sha256:0123 AS b\nFROM b\n',
    'FROM scratch\nCOPY --from=0 /a /a\n',
    'ARG BASE=debian:trixie-slim\nFROM ${BASE}\n',
  ])('allows %j: the catalogue, the online images, stages and scratch', (text) => {
    expect(vet(parsed(text))).toBeUndefined();
  });

  it('a lab or an instructor extends the list', () => {
    const df = parsed('FROM registry.example.edu/course/golang:1.24\n');
    expect(vet(df)).toBeDefined();
    expect(vet(df, { allowImages: ['registry.example.edu/course/*'] })).toBeUndefined();
  });
});

describe('the app is built, not embedded', () => {
  const refusal = (text: string) => vetBytes(Buffer.from(text)) ?? vet(parsed(text));

  it('refuses a heredoc, a base64 blob and a hex blob, naming the line', () => {
    const blob = 'f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAA'.repeat(20);
    expect(refusal(`FROM debian:trixie-slim\nRUN echo ${blob} | base64 -d > /app\n`)?.message).toMatch(/^line 2: .* carries 640 characters of encoded data/);
    expect(refusal(`FROM debian:trixie-slim\nRUN printf '${'\\x7f'.repeat(40)}' > /app\n`)?.line).toBe(2);
  });

  it('refuses a Dockerfile far larger than a teaching one, and passes the reference solutions', async () => {
    expect(vetBytes(Buffer.alloc(40_000, '#'))?.message).toMatch(/^the Dockerfile is 39 kB, far more than a teaching Dockerfile needs/);
    const { readFile, readdir } = await import('node:fs/promises');
    for (const lab of await readdir('solutions')) {
      const text = await readFile(`solutions/${lab}/Dockerfile`, 'utf8');
      expect(refusal(text), lab).toBeUndefined();
    }
  });
});
