import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import dockerignorePackage from '@balena/dockerignore';
import tarFs from 'tar-fs';

// A CommonJS module whose typings declare an ES default export.
const dockerignore = dockerignorePackage as unknown as typeof dockerignorePackage.default;

/** Files the Docker CLI always sends, whatever .dockerignore says. */
const ALWAYS_SENT = new Set(['Dockerfile', '.dockerignore']);

/**
 * Every file and symlink below `dir`, and every empty folder (the CLI sends those too: a
 * Git repository without objects yet is still one), as POSIX paths relative to it.
 */
async function listEntries(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const parents = new Set(entries.map((e) => e.parentPath));
  return entries
    .filter((e) => !e.isDirectory() || !parents.has(path.join(e.parentPath, e.name)))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * The paths a build would receive from `dir`, with `.dockerignore` applied the way the
 * Docker CLI applies it (same matcher rules, via @balena/dockerignore).
 */
export async function contextEntries(dir: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  const all = await listEntries(dir);
  let ignoreText = '';
  try {
    ignoreText = await readFile(path.join(dir, '.dockerignore'), 'utf8');
  } catch {
    return all;
  }
  const keep = dockerignore({ ignorecase: false }).add(ignoreText).createFilter();
  return all.filter((p) => ALWAYS_SENT.has(p) || p === dockerfile || keep(p));
}

/**
 * A tar stream of the build context. Symlinks are sent as links, never followed, so a
 * context cannot smuggle a host file into the build.
 */
export async function packContext(dir: string, dockerfile = 'Dockerfile'): Promise<Readable> {
  const entries = await contextEntries(dir, dockerfile);
  return tarFs.pack(dir, { entries, dereference: false }) as unknown as Readable;
}
