import {
  byImportance,
  findConfigSecrets,
  findDeletedButShipped,
  findFiles,
  findRootUser,
  PACKAGE_CACHES,
  SECRET_FILES,
  TOOLCHAINS,
  type Finding,
} from '../findings/index.js';
import type { ImageFacts } from '../inspect/image.js';
import type { FileEntry } from '../inspect/layers.js';
import type { ParsedDockerfile } from '../lint/dockerfile.js';

export interface ImageFindings {
  /** Most important first. */
  findings: Finding[];
  /** The findings each file belongs to (a toolchain that a later layer deletes is in two). */
  filesOf: (file: FileEntry) => Finding[];
}

/**
 * The general rule sets over any image, the same rules the labs' checks are made of:
 * every toolchain the kit knows (not what a runtime base image ships: node in
 * node:20-slim is its runtime), package caches and secrets in any layer, credentials in
 * the image config, files deleted by a later layer that still ship, root as the user.
 */
export function findInImage(image: ImageFacts, df: ParsedDockerfile | undefined): ImageFindings {
  const byFile = new Map<FileEntry, Finding>();
  const onMatch = (file: FileEntry, finding: Finding) => byFile.set(file, finding);
  const deleted = findDeletedButShipped(image);
  const deletedGroup = new Map(deleted.map((f) => [`${f.layer}:${f.deletedIn}`, f]));
  const findings = [
    ...findFiles(image, TOOLCHAINS, { skipRuntimeBase: true, onMatch }),
    ...findFiles(image, [...PACKAGE_CACHES, ...SECRET_FILES], { onMatch }),
    ...deleted,
    ...findConfigSecrets(image, df),
    ...findRootUser(image, df),
  ].sort(byImportance);
  return {
    findings,
    filesOf(file) {
      const found: Finding[] = [];
      const own = byFile.get(file);
      if (own) found.push(own);
      const gone = file.deletedIn === undefined ? undefined : deletedGroup.get(`${file.layer}:${file.deletedIn}`);
      if (gone) found.push(gone);
      return found;
    },
  };
}
