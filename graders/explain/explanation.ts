import type { Finding, FindingKind } from '../findings/index.js';

/**
 * What `stagecraft explain` learned about one image: its layers (bytes, and what made
 * each), and its findings with what to do about them. `explanationJson()` turns it into
 * the documented `--json` shape; the terminal report and the HTML page read it too.
 */

/** One layer, bottom first. */
export interface LayerView {
  /** 0-based here; 1-based in every report ("layer 3 of 9") and in the JSON. */
  index: number;
  /** Bytes of the layer as the engine counts them (`docker history`): the layers add up to the image's size. */
  size: number;
  /** Bytes of the regular files the scan read in the layer (deleted ones included: they ship). */
  fileBytes: number;
  /** Entries of the layer: files, folders, links. */
  fileCount: number;
  /** The Dockerfile instruction that made it; without a Dockerfile, only the text the image's history keeps. */
  instruction?: { stage?: string; line?: number; text: string };
  /** The base image it came with, when it came with one. */
  base?: string;
  /** That base is a toolchain image (golang, a JDK, full node or python), not a runtime. */
  baseIsToolchain?: boolean;
  /** What the image's history says made it, build arguments removed (also for a base image's layers). */
  history: string;
}

/** A finding, with the Dockerfile line that deleted it (when one did) and what to do about it. */
export interface ExplainedFinding extends Finding {
  /** The line of the instruction that deleted these files, when a later layer did. */
  deletedLine?: number;
  /** One line: what, where, how big (as the grader words a finding). */
  description: string;
  /** What to do: which multi-stage move, which line to change. */
  todo: string;
  /** The slide that teaches it: `slides/02-multi-stage.md#5`. */
  slide: string;
}

/** When the image came from `--dockerfile`: the build, and how far it got. */
export interface BuildOutcome {
  dockerfile: string;
  context: string;
  ok: boolean;
  /** One line: why the build failed. */
  error?: string;
  /** The line of the instruction that failed, when known. */
  failedLine?: number;
  /** After a failure: the image explained is the build as far as it got, up to this line. */
  explainedUpTo?: number;
  durationMs: number;
}

export interface Explanation {
  /** What the user named: an image reference, or the Dockerfile's path for a build. */
  ref: string;
  id: string;
  size: number;
  user: string;
  /** The image (or a base it was built on) is a local stand-in built from Debian packages. */
  standIn: boolean;
  layers: LayerView[];
  findings: ExplainedFinding[];
  build?: BuildOutcome;
  /** False when the image could not be explained in full (a build that failed, a scan over its budget). */
  complete: boolean;
  /** Why it is not complete, and what else the user should know. */
  notes: string[];
  durationMs: number;
}

/** The `--json` shape's version: a change that breaks a reader of it gets a new one. */
export const EXPLAIN_SCHEMA = 'stagecraft.explain/v1';

export interface LayerJson {
  index: number;
  size: number;
  files: number;
  fileBytes: number;
  instruction: { stage: string | null; line: number | null; text: string } | null;
  base: string | null;
  history: string;
}

export interface FindingJson {
  kind: FindingKind;
  what: string;
  path: string | null;
  size: number;
  layer: number | null;
  line: number | null;
  files: number;
  deletedIn: { layer: number; line: number | null } | null;
  setting: string | null;
  fromBase: boolean;
  todo: string;
  slide: string;
}

export interface ExplanationJson {
  schema: typeof EXPLAIN_SCHEMA;
  image: { ref: string; id: string; size: number; user: string; standIn: boolean; layers: LayerJson[] };
  findings: FindingJson[];
  build: {
    dockerfile: string;
    context: string;
    ok: boolean;
    error: string | null;
    failedLine: number | null;
    explainedUpTo: number | null;
    durationMs: number;
  } | null;
  complete: boolean;
  notes: string[];
}

/** The path a finding names: its largest file (an archive's member as `archive!/member`); none for the image config's. */
function findingPath(f: Finding): string | null {
  if (f.setting !== undefined || f.files === 0) return null;
  return f.inArchive ? `/${f.inArchive}!/${f.example}` : `/${f.example}`;
}

/**
 * The documented `--json` shape (README, DESIGN.md "Beyond grading"): layer numbers are
 * 1-based, bottom first, and a finding's `layer` is an `image.layers[].index`; absent
 * values are null, never missing keys.
 */
export function explanationJson(e: Explanation): ExplanationJson {
  return {
    schema: EXPLAIN_SCHEMA,
    image: {
      ref: e.ref,
      id: e.id,
      size: e.size,
      user: e.user,
      standIn: e.standIn,
      layers: e.layers.map((l) => ({
        index: l.index + 1,
        size: l.size,
        files: l.fileCount,
        fileBytes: l.fileBytes,
        instruction: l.instruction ? { stage: l.instruction.stage ?? null, line: l.instruction.line ?? null, text: l.instruction.text } : null,
        base: l.base ?? null,
        history: l.history,
      })),
    },
    findings: e.findings.map((f) => ({
      kind: f.kind,
      what: f.what,
      path: findingPath(f),
      size: f.bytes,
      layer: f.layer === undefined ? null : f.layer + 1,
      line: f.line ?? null,
      files: f.files,
      deletedIn: f.deletedIn === undefined ? null : { layer: f.deletedIn + 1, line: f.deletedLine ?? null },
      setting: f.setting ?? null,
      fromBase: f.fromBase,
      todo: f.todo,
      slide: f.slide,
    })),
    build: e.build
      ? {
          dockerfile: e.build.dockerfile,
          context: e.build.context,
          ok: e.build.ok,
          error: e.build.error ?? null,
          failedLine: e.build.failedLine ?? null,
          explainedUpTo: e.build.explainedUpTo ?? null,
          durationMs: e.build.durationMs,
        }
      : null,
    complete: e.complete,
    notes: e.notes,
  };
}
