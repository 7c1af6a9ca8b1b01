import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEngine } from '../../helpers/fake-engine.js';

// This file's worker talks to an engine with the containerd image store that has just had an
// image removed under its usage count: the first answer is the 404 Docker 28 gives then.
const engine = fakeEngine('df');
const { buildCacheRecords } = await import('../../../graders/engine/docker.js');

const asked: string[] = [];
let misses = 0;
const record = { ID: 'r1', Type: 'exec.cachemount', Description: 'cache mount', InUse: false, Size: 1, CreatedAt: '2026-12-06T00:00:00Z', LastUsedAt: null };
beforeAll(() =>
  engine.start((req, res) => {
    asked.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (misses-- > 0) {
      res.statusCode = 404;
      return res.end(JSON.stringify({ message: 'snapshot o2t83x60rhytrjdkjbrsqkv3g does not exist: not found' }));
    }
    res.end(JSON.stringify({ Images: null, BuildCache: [record] }));
  }),
);
afterAll(() => engine.stop());

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
