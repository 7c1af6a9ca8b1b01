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

/** The note a grade shows when it did so: what, and how to fix the checkout for good. */
export function lineEndingNote(files: string[]): string {
  const shown = files.slice(0, 3).join(', ') + (files.length > 3 ? ` and ${files.length - 3} more` : '');
  return `${files.length === 1 ? '1 file has' : `${files.length} files have`} Windows line endings (CRLF): ${shown}; the grade used LF copies (your files are unchanged). To fix your checkout: \`git add --renormalize . && git checkout -- .\` (the kit's .gitattributes keeps LF)`;
}
