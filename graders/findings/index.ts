/**
 * The findings engine: rules that turn an inspected image (files, archives' members,
 * config) into findings of one shape. `grade` runs a lab's rule sets through its checks;
 * `stagecraft explain` runs the general ones on any image.
 */
export type { Finding, FindingKind } from './finding.js';
export { byImportance } from './finding.js';
export { findFiles, findDeletedButShipped, hashIf, hashSpec, mergeKnown, emptyKnown, type PathRule, type KnownContent, type FindOptions } from './rule.js';
export { findConfigSecrets, findRootUser, mask } from './config-rules.js';
export { toolchainIndex, labFilesIndex, labFolderIndex, LAB_FOLDER } from './content-index.js';
export { describeFinding, listFindings, findingJson, findingDetails, whereFrom, shortPath } from './describe.js';
export * from './rule-sets.js';
