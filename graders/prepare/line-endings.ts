import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Text files larger than this are left as they are (a lab's sources are far smaller). */
const MAX_TEXT_BYTES = 2_000_000;

/** CRLF → LF, or undefined when the bytes are binary (a NUL byte) or have no CRLF. */
export function toLf(bytes: Buffer): Buffer | undefined {
  if (bytes.includes(0) || !bytes.includes('\r\n')) return undefined;
  return Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

/**
 * A checkout on Windows (git's autocrlf) gives every text file CRLF endings, and some tools
 * in a build break on them (make reads `\r` into its variables, `#!/bin/sh\r` is no such
 * interpreter). In the grade's temporary copy — never in the student's folder — rewrite
 * them with LF, and return the copy's paths that were rewritten.
 */
export async function normaliseLineEndings(dir: string): Promise<string[]> {
  const changed: string[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue; // symlinks are never followed
    const file = path.join(e.parentPath, e.name);
    if ((await lstat(file)).size > MAX_TEXT_BYTES) continue;
    const lf = toLf(await readFile(file));
    if (!lf) continue;
    await writeFile(file, lf);
    changed.push(path.relative(dir, file));
  }
  return changed.sort();
}

/** Whether a path is inside a git checkout: a `.git` (folder, or file of a worktree) in it or a folder above. */
export function inGitCheckout(file: string): boolean {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

/** A file the grade rewrote: as the student knows it, and whether git can fix it for good. */
export interface RewrittenFile {
  shown: string;
  inCheckout: boolean;
}

/**
 * The note a grade shows when it did so: what, and how to fix it for good — through git
 * where the files are in a checkout (its autocrlf made them), else by saving them with LF.
 */
export function lineEndingNote(files: RewrittenFile[]): string {
  const names = files.map((f) => f.shown);
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
  const head = `${files.length === 1 ? '1 file has' : `${files.length} files have`} Windows line endings (CRLF): ${shown}; the grade used LF copies (your files are unchanged).`;
  const outside = files.filter((f) => !f.inCheckout).map((f) => f.shown);
  const fixes: string[] = [];
  if (files.some((f) => f.inCheckout)) fixes.push("to fix your checkout: `git add --renormalize . && git checkout -- .` (the kit's .gitattributes keeps LF)");
  if (outside.length) {
    const which = outside.length === files.length ? (files.length === 1 ? 'it' : 'them') : outside.join(', ');
    fixes.push(
      `to fix ${which}: save ${outside.length === 1 ? 'it' : 'them'} with LF line endings (your editor's line-ending setting, or \`sed -i 's/\\r$//' ${outside.length === 1 ? outside[0] : '<file>'}\`)`,
    );
  }
  const text = fixes.join('; ');
  return `${head} ${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
