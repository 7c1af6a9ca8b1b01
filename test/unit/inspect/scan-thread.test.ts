import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { makeSavedImage } from '../../helpers/tar.js';

const THREAD = JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'graders', 'inspect', 'scan-thread.ts')).href);

/** A Node process running `code` (an ES module, the kit's TypeScript through tsx): a thread left behind keeps it from ending. */
async function processRunning(code: string) {
  // A file, not --eval: a worker thread inherits the process's options, and --input-type is refused there.
  const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-'));
  try {
    await writeFile(path.join(dir, 'main.mts'), code);
    return spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, 'main.mts')], { cwd: REPO_ROOT, timeout: 60_000, encoding: 'utf8' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// A grade starts its scan's thread while the image builds; a build that fails leaves it unused.
describe('a scan thread started ahead of its image', () => {
  it('closed unused, it ends, and the process with it', async () => {
    const r = await processRunning(`import { ScanThread } from ${THREAD}; const t = new ScanThread(); setTimeout(() => t.close(), 300);`);
    expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
  });

  it('used, it ends with its scan, and the process with it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-'));
    try {
      const file = path.join(dir, 'image.tar');
      await writeFile(file, await makeSavedImage({ layers: [[{ name: 'app/hello.txt', content: 'hello' }]], history: [{ created_by: 'COPY . /app' }] }));
      const r = await processRunning(
        `import { ScanThread } from ${THREAD}; const saved = await new ScanThread().scan({ file: ${JSON.stringify(file)}, options: {} }); console.log(saved.layers[0].files.map((f) => f.path).join());`,
      );
      expect({ signal: r.signal, status: r.status, out: r.stdout.trim() }).toEqual({ signal: null, status: 0, out: 'app/hello.txt' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
