import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Check } from '../checks/types.js';
import { emptyKnown, labFilesIndex, labFolderIndex, mergeKnown, toolchainIndex, type KnownContent } from '../findings/index.js';
import { firstLine } from '../format/text.js';

/** Every regular file of the prepared context, relative, with `/` separators. */
async function contextFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/**
 * What the checks want recognised by its bytes: their toolchain images' forbidden files
 * (indexed once per image, then cached) and the lab's own files as this build has them.
 */
export async function knownContent(checks: Check[], contextDir: string, stampFile: string, log: (line: string) => void): Promise<KnownContent | undefined> {
  const requests = checks.flatMap((c) => (c.content ? [c.content] : []));
  const stamp = checks.some((c) => c.findStamp);
  if (requests.length === 0 && !stamp) return undefined;
  const files = await contextFiles(contextDir);
  // The lab folder's files (for the stamp rule: a stamp that came along with them) first, so
  // that a rule's own entry for the same bytes wins.
  const parts: KnownContent[] = [stamp ? await labFolderIndex(contextDir, files, stampFile) : emptyKnown()];
  for (const r of requests) {
    if (r.images.length) {
      // Without the index a renamed toolchain file goes unrecognised, but the grade goes on.
      parts.push(
        await toolchainIndex(
          r.images,
          r.rules.filter((rule) => rule.globs.length),
          log,
        ).catch((err: Error) => {
          log(`could not index ${r.images.join(', ')} (${firstLine(err)}): files are recognised by their paths only`);
          return emptyKnown();
        }),
      );
    }
    parts.push(await labFilesIndex(contextDir, files, r.rules));
  }
  return mergeKnown(...parts);
}
