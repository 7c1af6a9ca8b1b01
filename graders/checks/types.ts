import type { BuildResult } from '../buildkit/build.js';
import type { KnownContent, PathRule } from '../findings/index.js';
import type { ImageFacts } from '../inspect/image.js';
import type { ParseResult } from '../lint/dockerfile.js';
import type { Refusal } from '../lint/policy.js';
import type { LabApp } from '../run/app.js';
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
  /** The lab's app as the grade ran it (its port, where its stamp lives), for checks that judge it. */
  app?: LabApp;
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

export interface Check {
  id: CheckId;
  /** What passing means, in one line. */
  title: string;
  /** What to do when it fails: concrete, kind, and pointing at the idea to read. */
  hint: string;
  /** The slide that teaches it: `slides/02-multi-stage.md#4`. */
  slide: string;
  /** What the pipeline must do for it: `run` runs the lab's app, `rebuild` edits the app's `edit` file and builds again. */
  needs: Need[];
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
