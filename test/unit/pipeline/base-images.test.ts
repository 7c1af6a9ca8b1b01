import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// This file's worker talks to a fake engine that has golang:1.24-trixie and nothing else, and answers slowly.
const dir = mkdtempSync(path.join(tmpdir(), 'stagecraft-bases-engine-'));
const socket = path.join(dir, 'docker.sock');
process.env.DOCKER_HOST = `unix://${socket}`;
const { missingBaseImages } = await import('../../../graders/pipeline/base-images.js');
const { parseDockerfile } = await import('../../../graders/lint/dockerfile.js');

let inFlight = 0;
let mostAtOnce = 0;
let server: Server;
beforeAll(async () => {
  server = createServer((req, res) => {
    inFlight++;
    mostAtOnce = Math.max(mostAtOnce, inFlight);
    setTimeout(() => {
      inFlight--;
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('/images/golang:1.24-trixie/json')) return res.end(JSON.stringify({ Id: 'sha256:go' }));
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'No such image' }));
    }, 50);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('the base images a grade needs', () => {
  it('are asked of the engine at once, and only the missing catalogue ones come back', async () => {
    const parsed = parseDockerfile(
      Buffer.from('FROM golang:1.24-trixie AS build\nFROM node:20-trixie-slim AS web\nFROM gcr.io/distroless/static-debian13\nCOPY --from=build /a /a\n'),
    );
    if (!parsed.ok) throw new Error(parsed.problem.message);
    const missing = await missingBaseImages(parsed.dockerfile);
    expect(missing.map((m) => m.ref).sort()).toEqual(['gcr.io/distroless/static-debian13', 'node:20-trixie-slim']);
    expect(mostAtOnce).toBe(3);
  });
});
