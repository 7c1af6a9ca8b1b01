import { constants } from 'node:fs';
import { lstat, open, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempFolder } from '../cleanup/temp-folder.js';
import { CannotGrade } from '../engine/errors.js';

/** What a student folder holds for one lab: the files taken from it, or why there are none. */
export type Submission = { kind: 'submitted'; dockerfile: Buffer; dockerignore?: Buffer } | { kind: 'not-submitted'; reason: string };

/** A submitted file larger than this is not a Dockerfile anyone wrote by hand. */
const MAX_SUBMITTED_BYTES = 64 * 1024 * 1024;

/**
 * The students: one folder each under the submissions folder, by name. Entries that are not
 * folders are not students; a symbolic link is listed (so the gradebook shows it) but never
 * followed.
 */
export async function listStudents(submissionsDir: string): Promise<{ name: string; isLink: boolean }[]> {
  let entries;
  try {
    entries = await readdir(submissionsDir, { withFileTypes: true });
  } catch {
    throw new CannotGrade(`no submissions folder at ${submissionsDir}`);
  }
  const students = entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.'))
    .map((e) => ({ name: e.name, isLink: e.isSymbolicLink() }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en'));
  if (students.length === 0) throw new CannotGrade(`no student folders in ${submissionsDir}`);
  return students;
}

/**
 * Read one regular file at `root/relative` without following a symbolic link anywhere on
 * the way: every folder on the path is checked, and the file is opened with O_NOFOLLOW.
 * Undefined when it does not exist; a string saying why when it is refused.
 */
async function readConfined(root: string, relative: string): Promise<Buffer | undefined | string> {
  const parts = relative.split('/');
  let current = root;
  for (const [i, part] of parts.entries()) {
    current = path.join(current, part);
    const stat = await lstat(current).catch(() => undefined);
    if (!stat) return undefined;
    const shown = parts.slice(0, i + 1).join('/');
    if (stat.isSymbolicLink()) return `${shown} is a symbolic link, which is never followed`;
    if (i < parts.length - 1 && !stat.isDirectory()) return undefined;
    if (i === parts.length - 1) {
      if (!stat.isFile()) return `${shown} is not a regular file`;
      if (stat.size > MAX_SUBMITTED_BYTES)
        return `${shown} is ${Math.round(stat.size / 1e6)} MB, over the ${MAX_SUBMITTED_BYTES / 1024 / 1024} MiB a submitted file may be`;
    }
  }
  const handle = await open(current, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * A student's submission for a lab: only `labs/<lab>/Dockerfile` and
 * `labs/<lab>/.dockerignore` are taken; the app's sources and the graders are the
 * instructor's own, so editing them changes nothing.
 */
export async function readSubmission(studentDir: string, labId: string): Promise<Submission> {
  const where = `labs/${labId}/Dockerfile`;
  const dockerfile = await readConfined(studentDir, where);
  if (dockerfile === undefined) return { kind: 'not-submitted', reason: `no ${where}` };
  if (typeof dockerfile === 'string') return { kind: 'not-submitted', reason: dockerfile };
  const dockerignore = await readConfined(studentDir, `labs/${labId}/.dockerignore`);
  if (typeof dockerignore === 'string') return { kind: 'not-submitted', reason: dockerignore };
  return { kind: 'submitted', dockerfile, dockerignore };
}

/**
 * Put a submission where the grader reads it: a fresh temporary folder with `Dockerfile`
 * and, if there is one, `Dockerfile.dockerignore` (which the grader uses as that
 * Dockerfile's .dockerignore). Nothing is written in the student's folder.
 */
export async function stageSubmission(sub: Extract<Submission, { kind: 'submitted' }>): Promise<{ dockerfile: string; remove(): Promise<void> }> {
  const { dir, remove } = await makeTempFolder('batch');
  const dockerfile = path.join(dir, 'Dockerfile');
  await writeFile(dockerfile, sub.dockerfile);
  if (sub.dockerignore) await writeFile(`${dockerfile}.dockerignore`, sub.dockerignore);
  return { dockerfile, remove };
}
