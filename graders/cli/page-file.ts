import { open, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CannotGrade } from '../engine/errors.js';
import type { Explained } from '../explain/explain-image.js';
import { buildTree } from '../explain/treemap.js';
import type { GradeResult } from '../pipeline/result.js';
import { PAGE_MARK, renderPage } from '../report/html/page.js';
import { shownPath } from '../format/path.js';

/** The first bytes of a file, to tell whether it is one of our pages. */
async function head(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(2048);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Before any work: `--html <file>` may replace a page stagecraft wrote (a regrade
 * refreshes it), never anything else, and its folder must exist.
 */
export async function checkPageTarget(file: string): Promise<void> {
  const target = path.resolve(file);
  const folder = await stat(path.dirname(target)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new CannotGrade(`cannot write the page ${shownPath(target)}: there is no folder ${shownPath(path.dirname(target))}`);
  const existing = await stat(target).catch(() => undefined);
  if (!existing) return;
  if (!existing.isFile() || !(await head(target).catch(() => '')).includes(PAGE_MARK)) {
    throw new CannotGrade(`${shownPath(target)} exists and is not a page stagecraft wrote: give --html another file name`);
  }
}

/** Write the page whole or not at all; returns the path as the user would type it. */
export async function writePage(file: string, explained: Explained, grade?: GradeResult): Promise<string> {
  await checkPageTarget(file);
  const target = path.resolve(file);
  const html = renderPage({ explanation: explained.explanation, tree: buildTree(explained), grade });
  const partial = `${target}.${process.pid}.partial`;
  await writeFile(partial, html);
  await rename(partial, target);
  return shownPath(target);
}
