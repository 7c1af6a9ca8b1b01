import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// This file's worker talks to an engine with the containerd image store that has just had an
// image removed under its usage count: the first answer is the 404 Docker 28 gives then.
const dir = mkdtempSync(path.join(tmpdir(), 'stagecraft-df-engine-'));
const socket = path.join(dir, 'docker.sock');
process.env.DOCKER_HOST = `unix://${socket}`;
const { buildCacheRecords } = await import('../../../graders/engine/docker.js');

const asked: string[] = [];
let misses = 0;
const record = { ID: 'r1', Type: 'exec.cachemount', Description: 'cache mount', InUse: false, Size: 1, CreatedAt: '2026-12-06T00:00:00Z', LastUsedAt: null };
let server: Server;
beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (misses-- > 0) {
      res.statusCode = 404;
      return res.end(JSON.stringify({ message: 'snapshot o2t83x60rhytrjdkjbrsqkv3g does not exist: not found' }));
    }
    res.end(JSON.stringify({ Images: null, BuildCache: [record] }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('the build cache records', () => {
  it('are asked for alone (the images are not counted), and asked again after a snapshot that went while counting', async () => {
    asked.length = 0;
    misses = 1;
    expect(await buildCacheRecords()).toEqual([record]);
    expect(asked).toEqual(['/system/df?type=build-cache', '/system/df?type=build-cache']);
  });

  it('an engine that keeps failing is its fault, said as it said it', async () => {
    misses = 5;
    await expect(buildCacheRecords()).rejects.toThrow(/does not exist/);
  });
});
