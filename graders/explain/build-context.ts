import { copyFile, link, lstat, mkdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { contextEntries } from '../buildkit/context.js';
import { makeTempFolder, type TempFolder } from '../cleanup/temp-folder.js';

/** Link a file where the file system allows it (instant, no copy); copy it where it does not. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

/**
 * A temporary build context for any Dockerfile: the context's files as a build would
 * receive them (.dockerignore applied), linked rather than copied, symbolic links kept as
 * links, and the Dockerfile written fresh as `Dockerfile`. The user's folder is never
 * written to: the grader only ever rewrites the copy's Dockerfile (an unavailable
 * `# syntax=` line, a build cut short at a failing line).
 */
export async function stageContext(contextDir: string, dockerfile: Buffer): Promise<TempFolder> {
  const entries = await contextEntries(contextDir);
  const folder = await makeTempFolder('grade');
  try {
    for (const entry of entries) {
      const from = path.join(contextDir, entry);
      const to = path.join(folder.dir, entry);
      await mkdir(path.dirname(to), { recursive: true });
      const stat = await lstat(from);
      if (stat.isSymbolicLink()) await symlink(await readlink(from), to);
      else if (stat.isDirectory()) await mkdir(to, { recursive: true });
      else if (stat.isFile()) await linkOrCopy(from, to);
    }
    await rm(path.join(folder.dir, 'Dockerfile'), { force: true, recursive: true });
    await writeFile(path.join(folder.dir, 'Dockerfile'), dockerfile);
    return folder;
  } catch (err) {
    await folder.remove();
    throw err;
  }
}
