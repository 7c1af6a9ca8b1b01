import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// This file's worker talks to an engine that answers, but only after 4 s (a busy one).
const dir = mkdtempSync(path.join(tmpdir(), 'stagecraft-slow-engine-'));
const socket = path.join(dir, 'docker.sock');
process.env.DOCKER_HOST = `unix://${socket}`;
const { engineAnswers } = await import('../../../graders/engine/docker.js');

let server: Server;
beforeAll(async () => {
  server = createServer((_req, res) => setTimeout(() => res.end('OK'), 4000));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('an engine that answers late', () => {
  it('is busy, not gone: a failure in a grade is then never put down to the engine', async () => {
    expect(await engineAnswers()).toBe(true);
  });

  it('is gone only when it says nothing for all of the patience given', async () => {
    expect(await engineAnswers(500)).toBe(false);
  });
});
