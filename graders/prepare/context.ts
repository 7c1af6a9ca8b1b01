import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempFolder } from '../cleanup/temp-folder.js';
import { CannotGrade } from '../engine/errors.js';
import { labDir, type LabDefinition } from '../lab.js';
import { inGitCheckout, lineEndingNote, normaliseLineEndings, toLf } from './line-endings.js';
import { shownPath } from '../format/path.js';
import { BEGIN_MARKER, END_MARKER, newStampFunction, withStampFunction, type StampCode, type StampFunction } from '../run/stamp.js';

export interface PrepareRequest {
  /** The lab folder: the build context, never modified. */
  labDir: string;
  /** The Dockerfile under test (anywhere on disk). */
  dockerfile: string;
  /** A .dockerignore to use instead of the lab folder's own, if any. */
  dockerignore?: string;
  /** The lab's stamp file, relative to the lab folder. */
  stampFile: string;
  /** The source whose stamp function the grader rewrites before each build, if the lab's app has one. */
  stampCode?: StampCode;
  /** Files to add (relative path → content; a path ending in `/` is a folder) where the folder has none. */
  extraFiles?: Record<string, string>;
  /** The Dockerfile, read already (a grade parses it while the rest is copied): the copy holds these bytes. */
  submitted?: SubmittedDockerfile;
}

/** A Dockerfile as read: its bytes as submitted, and as graded (LF endings where it had CRLF). */
export interface SubmittedDockerfile {
  submitted: Buffer;
  bytes: Buffer;
}

/** Read the Dockerfile under test, once: what is parsed is what is copied and built. */
export async function readDockerfile(file: string): Promise<SubmittedDockerfile> {
  if (!existsSync(file)) throw new CannotGrade(`no Dockerfile at ${shownPath(file)}`);
  const submitted = await readFile(file);
  return { submitted, bytes: toLf(submitted) ?? submitted };
}

/** The request for a lab: its folder, stamp file and extra context files, the Dockerfile under test. */
export function labContextRequest(lab: LabDefinition, dockerfile: string, dockerignore?: string): PrepareRequest {
  return { labDir: labDir(lab), dockerfile, dockerignore, stampFile: lab.app.stampFile, stampCode: lab.app.stampCode, extraFiles: lab.contextFiles };
}

export interface PreparedContext {
  dir: string;
  nonce: string;
  /** The stamp function written into the copy's sources (when the lab's app has one). */
  stampFunction?: StampFunction;
  /** The Dockerfile's bytes as submitted (with LF endings where it had CRLF). */
  dockerfileBytes: Buffer;
  /** Said when files of the copy had Windows line endings and were given LF. */
  note?: string;
  remove(): Promise<void>;
}

/**
 * Copy the lab folder to a temporary folder (symlinks stay links, never followed), put
 * the Dockerfile under test in it as `Dockerfile`, and stamp it with a fresh nonce and a
 * fresh stamp function that the built app must serve back.
 */
export async function prepareContext(req: PrepareRequest): Promise<PreparedContext> {
  const { submitted, bytes: dockerfileBytes } = req.submitted ?? (await readDockerfile(req.dockerfile));
  const { dir, remove } = await makeTempFolder('grade');
  try {
    await cp(req.labDir, dir, { recursive: true, verbatimSymlinks: true });
    await rm(path.join(dir, 'Dockerfile'), { force: true });
    await writeFile(path.join(dir, 'Dockerfile'), dockerfileBytes);
    if (req.dockerignore) await cp(req.dockerignore, path.join(dir, '.dockerignore'));
    for (const [relative, content] of Object.entries(req.extraFiles ?? {})) {
      const target = path.join(dir, relative);
      if (!target.startsWith(dir + path.sep) || existsSync(target)) continue;
      if (relative.endsWith('/')) await mkdir(target, { recursive: true });
      else {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, content);
      }
    }
    // The copy's Dockerfile is the student's file wherever it is; the rest are the lab folder's.
    const labInCheckout = inGitCheckout(path.join(req.labDir, 'Dockerfile'));
    const crlf = (await normaliseLineEndings(dir)).map((f) => ({ shown: shownPath(path.join(req.labDir, f)), inCheckout: labInCheckout }));
    if (dockerfileBytes !== submitted) crlf.unshift({ shown: shownPath(req.dockerfile), inCheckout: inGitCheckout(req.dockerfile) });
    const nonce = randomBytes(12).toString('hex');
    // Replace, never write through: the stamp file in a submission could be a symlink.
    await rm(path.join(dir, req.stampFile), { force: true });
    await writeFile(path.join(dir, req.stampFile), `${nonce}\n`);
    const stampFunction = req.stampCode ? await writeStampFunction(dir, req.labDir, req.stampCode) : undefined;
    const files = crlf.filter((f, i) => crlf.findIndex((o) => o.shown === f.shown) === i);
    return { dir, nonce, stampFunction, dockerfileBytes, remove, note: files.length ? lineEndingNote(files) : undefined };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** A new stamp function into the copy's source (replaced, never written through a link); a source without its markers cannot be graded. */
async function writeStampFunction(dir: string, labDir: string, code: StampCode): Promise<StampFunction> {
  const file = path.join(dir, code.file);
  const fn = newStampFunction();
  const isFile = await lstat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  const source = isFile ? withStampFunction(await readFile(file, 'utf8'), fn, code.language) : undefined;
  if (source === undefined) {
    const shown = shownPath(path.join(labDir, code.file));
    throw new CannotGrade(
      `${shown} must be a file with its stamp function between the lines "${BEGIN_MARKER}" and "${END_MARKER}" (the grader rewrites that function before every build): restore it as the kit ships it (git checkout -- ${shown})`,
    );
  }
  await rm(file, { force: true });
  await writeFile(file, source);
  return fn;
}
