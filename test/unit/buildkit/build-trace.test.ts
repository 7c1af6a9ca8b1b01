import { describe, expect, it } from 'vitest';
import { BuildTrace } from '../../../graders/buildkit/build.js';
import { decodeTrace, encodeTrace } from '../../../graders/engine/buildkit-trace.js';
import { inDockerfileOrder } from '../../../graders/buildkit/steps.js';
import type { BuildStep } from '../../../graders/buildkit/build.js';
import { parseDockerfile as parseResult, type ParsedDockerfile } from '../../../graders/lint/dockerfile.js';
const parseDockerfile = (text: string): ParsedDockerfile => {
  const r = parseResult(text);
  if (!r.ok) throw new Error('fixture does not parse');
  return r.dockerfile;
};

const traceLine = (update: Parameters<typeof encodeTrace>[0]) => JSON.stringify({ id: 'moby.buildkit.trace', aux: encodeTrace(update) });

describe('BuildKit trace', () => {
  it('round-trips vertexes and logs through the protobuf encoding', () => {
    const decoded = decodeTrace(
      encodeTrace({ vertexes: [{ digest: 'sha256:1', name: '[1/2] RUN make', started: true, cached: true }], logs: [{ vertex: 'sha256:1', text: 'hello\n' }] }),
    );
    expect(decoded.vertexes).toEqual([{ digest: 'sha256:1', name: '[1/2] RUN make', cached: true, started: true, completed: false, error: '' }]);
    expect(decoded.logs).toEqual([{ vertex: 'sha256:1', text: 'hello\n' }]);
  });

  it("follows steps, keeps each step's last lines, the error and the image id", () => {
    const seen: string[] = [];
    const trace = new BuildTrace(undefined, (s) => seen.push(`${s.name}:${s.done ? 'done' : s.error ? 'error' : 'started'}`));
    trace.line(traceLine({ vertexes: [{ digest: 'a', name: '[build 1/2] FROM golang', started: true }] }));
    trace.line(traceLine({ vertexes: [{ digest: 'a', name: '[build 1/2] FROM golang', started: true, completed: true }] }));
    trace.line(traceLine({ vertexes: [{ digest: 'b', name: '[build 2/2] RUN go build', started: true }] }));
    trace.line(traceLine({ logs: [{ vertex: 'b', text: 'line 1\nline 2\n' }] }));
    trace.line(traceLine({ vertexes: [{ digest: 'b', name: '[build 2/2] RUN go build', started: true, completed: true, error: 'exit code: 2' }] }));
    trace.line(JSON.stringify({ errorDetail: { message: 'executor failed: exit code: 2' }, error: 'executor failed: exit code: 2' }));
    trace.line('not json at all');
    expect(seen).toEqual([
      '[build 1/2] FROM golang:started',
      '[build 1/2] FROM golang:done',
      '[build 2/2] RUN go build:started',
      '[build 2/2] RUN go build:done',
    ]);
    expect(trace.failedStep()?.tail).toEqual(['line 1', 'line 2']);
    expect(trace.error).toBe('executor failed: exit code: 2');
    expect(trace.log).toContain('#2 line 2');
    expect(trace.imageId).toBeUndefined();
    trace.line(JSON.stringify({ id: 'moby.image.id', aux: { ID: 'sha256:feed' } }));
    expect(trace.imageId).toBe('sha256:feed');
  });

  it('names the step that failed, not a step BuildKit cancelled beside it', () => {
    const trace = new BuildTrace();
    trace.line(traceLine({ vertexes: [{ digest: 'apt', name: '[stage-1 2/7] RUN apt-get update', started: true }] }));
    trace.line(traceLine({ vertexes: [{ digest: 'go', name: '[build 4/4] RUN go build .', started: true }] }));
    trace.line(
      traceLine({ vertexes: [{ digest: 'apt', name: '[stage-1 2/7] RUN apt-get update', started: true, completed: true, error: 'context canceled' }] }),
    );
    trace.line(
      traceLine({
        vertexes: [
          { digest: 'go', name: '[build 4/4] RUN go build .', started: true, completed: true, error: 'process did not complete successfully: exit code: 1' },
        ],
      }),
    );
    expect(trace.failedStep()?.name).toBe('[build 4/4] RUN go build .');
  });

  it('caps the build log it keeps, dropping the oldest output', () => {
    const trace = new BuildTrace(1000);
    trace.line(traceLine({ vertexes: [{ digest: 'a', name: '[1/1] RUN yes', started: true }] }));
    for (let i = 0; i < 200; i++) trace.line(traceLine({ logs: [{ vertex: 'a', text: `output line ${i}\n` }] }));
    expect(trace.log.length).toBeLessThanOrEqual(1000);
    expect(trace.log).toContain('output line 199');
    expect(trace.log).not.toContain('output line 0\n');
  });
});

describe('steps in the order of the Dockerfile', () => {
  const step = (name: string) => ({ name }) as BuildStep;
  const names = (located: { step: BuildStep }[]) => located.map((l) => l.step.name);

  it('orders BuildKit 0.13+ newest-first reports as BuildKit 0.8 reports them', () => {
    const df = parseDockerfile('FROM node:20-trixie\nRUN npm install\nCOPY . .\nRUN npm run build\n');
    const newestFirst = [
      '[internal] load build definition from Dockerfile',
      '[4/4] RUN npm run build',
      '[3/4] COPY . .',
      '[2/4] RUN npm install',
      '[internal] load metadata for docker.io/library/node:20-trixie',
      '[1/4] FROM docker.io/library/node:20-trixie',
    ].map(step);
    expect(names(inDockerfileOrder(newestFirst, df))).toEqual([
      '[internal] load build definition from Dockerfile',
      '[internal] load metadata for docker.io/library/node:20-trixie',
      '[1/4] FROM docker.io/library/node:20-trixie',
      '[2/4] RUN npm install',
      '[3/4] COPY . .',
      '[4/4] RUN npm run build',
    ]);
  });

  it('orders the steps of several stages by their line, each stage numbered on its own', () => {
    const df = parseDockerfile('FROM golang AS build\nRUN go build .\n\nFROM scratch\nCOPY --from=build /app /app\n');
    const steps = ['[stage-1 2/2] COPY --from=build /app /app', '[build 2/2] RUN go build .', '[stage-1 1/2] FROM scratch', '[build 1/2] FROM golang'].map(
      step,
    );
    expect(names(inDockerfileOrder(steps, df))).toEqual([
      '[build 1/2] FROM golang',
      '[build 2/2] RUN go build .',
      '[stage-1 1/2] FROM scratch',
      '[stage-1 2/2] COPY --from=build /app /app',
    ]);
  });
});
