/**
 * A finding: something in an image worth telling its owner, with where it came from.
 * `stagecraft explain` reports findings as they are; a lab's check is a rule set over
 * the same findings (no-toolchain, no-caches, no-secrets, non-root).
 */
export type FindingKind = 'toolchain' | 'cache' | 'secret' | 'deleted-but-shipped' | 'root';

export interface Finding {
  kind: FindingKind;
  /** What was found, in a few words: "the Go toolchain", "npm's cache", "an environment file". */
  what: string;
  /** 0-based layer that holds it; absent for what the image config holds (ENV, LABEL, USER). */
  layer?: number;
  /** The Dockerfile line that made it: the layer's instruction, or the FROM of its base image. */
  line?: number;
  /** Files in the group and their bytes in all. */
  files: number;
  bytes: number;
  /** The largest file of the group (no leading slash), the one a message names. */
  example: string;
  exampleBytes: number;
  /** The deepest folder that holds every file of the group. */
  folder: string;
  /** Set when a later layer deleted these files: they still ship. */
  deletedIn?: number;
  /** The archive (a file of the layer) that holds these files, when they were found inside one. */
  inArchive?: string;
  /** A file recognised by its bytes: what it really is, and where that file lives. */
  sameAs?: { path: string; what: string; image?: string };
  /** Every file was recognised by what it says it is (Go's build information, a package note, gcc's own strings), none by its path. */
  byContent?: boolean;
  /** The layer came from a base image, not from one of the Dockerfile's own instructions. */
  fromBase: boolean;
  /** For what the image config holds: `ENV HOOKRELAY_TOKEN`, `LABEL token`, `ARG NPM_TOKEN`. */
  setting?: string;
}

/** The most important first: the most bytes, then what the Dockerfile's own instructions added. */
export function byImportance(a: Finding, b: Finding): number {
  return b.bytes - a.bytes || Number(a.fromBase) - Number(b.fromBase) || (a.layer ?? -1) - (b.layer ?? -1);
}
