import { describe, expect, it } from 'vitest';

// This file's worker talks to an engine that is not there (the client is made on first use).
process.env.DOCKER_HOST = 'unix:///nonexistent/stagecraft-test/docker.sock';
const { imageExists } = await import('../../../graders/engine/docker.js');
const { imagesNotHere } = await import('../../../graders/pipeline/base-images.js');
const { parseDockerfile } = await import('../../../graders/lint/dockerfile.js');
const { runAndProbe } = await import('../../../graders/run/container.js');
const { DEFAULT_RUN_LIMITS } = await import('../../../graders/run/limits.js');

describe('an engine that does not answer', () => {
  it('is never taken for a missing image', async () => {
    await expect(imageExists('golang:1.24-trixie')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('so a grade never starts building base images against it', async () => {
    const lint = parseDockerfile(Buffer.from('FROM golang:1.24-trixie AS build\nFROM scratch\n'));
    if (!lint.ok) throw new Error('the Dockerfile should parse');
    await expect(imagesNotHere(lint.dockerfile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("is no student's failed run: the run stage throws the engine's absence (could not grade), never a refusal", async () => {
    const run = runAndProbe({ image: 'stagecraft-grade/lab1-go:gone', port: 8080, readyPath: '/healthz', probes: [], limits: DEFAULT_RUN_LIMITS });
    await expect(run).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
