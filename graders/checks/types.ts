import type { BuildResult } from '../buildkit/build.js';
import type { KnownContent, PathRule } from '../findings/index.js';
import type { ImageFacts } from '../inspect/image.js';
import type { ParseResult } from '../lint/dockerfile.js';
import type { Refusal } from '../lint/policy.js';
import type { ProbeFactory } from '../run/probes.js';
import type { RunResult } from '../run/container.js';

/** Stable ids: reports, gradebooks and tests key on them (DESIGN.md). */
export type CheckId = 'builds' | 'multi-stage' | 'size' | 'no-toolchain' | 'runs' | 'non-root' | 'no-secrets' | 'no-caches' | 'cache-friendly';

/** What the pipeline's stages produced; each check reads the parts it needs. */
export interface Evidence {
  lint: ParseResult;
  /** Set when the grader's policy refused to build this Dockerfile: nothing was built. */
  refusal?: Refusal;
  build?: BuildResult;
  image?: ImageFacts;
  run?: RunResult;
  /** The second build, after the grader edited one source file. */
  rebuild?: { touched: string; build: BuildResult };
  /** Measured sizes to compare with (from `npm run measure`), when known. */
  reference?: { starterSize?: number };
  /** Files known by their bytes (toolchain images' forbidden files, the lab's own sources). */
  known?: KnownContent;
  /** This build's stamp, when the grade looked for it in the image's files. */
  stamp?: string;
  /** The lab's folder, as it was built (`labs/lab1-go`), for messages. */
  labFolder?: string;
  /** The Dockerfile graded, as the student names it (relative to where the grade ran), for messages. */
  dockerfile?: string;
}

/** The pipeline stages a check reads; when one is missing the check is skipped, with the reason. */
export type Need = 'parse' | 'build' | 'image' | 'layers' | 'run' | 'processes' | 'rebuild';

export interface Verdict {
  passed: boolean;
  /** One line: what was found, where. */
  message: string;
  /** A more specific hint than the check's own, when the finding calls for one. */
  hint?: string;
  details?: Record<string, unknown>;
}

/** What a check asks the pipeline to do for it (run the container with these probes). */
export interface RunPlan {
  port: number;
  readyPath: string;
  probes: ProbeFactory[];
}

export interface Check {
  id: CheckId;
  /** What passing means, in one line. */
  title: string;
  /** What to do when it fails: concrete, kind, and pointing at the idea to read. */
  hint: string;
  /** The slide that teaches it: `slides/02-multi-stage.md#4`. */
  slide: string;
  needs: Need[];
  run?: RunPlan;
  /** Rebuild after appending a comment line to this source file of the lab. */
  rebuild?: { touch: string };
  /** Files to recognise by their bytes: these rules' lab files and these toolchain images' files. */
  content?: { rules: PathRule[]; images: string[] };
  /** Look for this build's stamp in the image's files (and archives), to tell where it is served from. */
  findStamp?: boolean;
  evaluate(evidence: Evidence): Verdict;
}

export const pass = (message: string, details?: Record<string, unknown>): Verdict => ({ passed: true, message, details });
export const fail = (message: string, details?: Record<string, unknown>, hint?: string): Verdict => ({
  passed: false,
  message,
  details,
  hint,
});
