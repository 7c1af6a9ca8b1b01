import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A kit cache folder ($STAGECRAFT_CACHE_DIR) of the calling test file's own, made before its
 * tests and removed after them: each test file runs in a worker of its own. Returns the folder.
 */
export function scratchCacheDir(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
    process.env.STAGECRAFT_CACHE_DIR = dir;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
