import type { BuildStep } from '../buildkit/build.js';

/**
 * Where a grade (or an explanation) says what it is doing: the port its callers fill in.
 * It lives with the pipeline that calls it; report/progress.ts draws it on a terminal.
 */
export interface Progress {
  stage(text: string): void;
  step(step: BuildStep): void;
  /** A line worth keeping in the log (not a transient status). */
  log(text: string): void;
  done(): void;
}

export const silentProgress: Progress = { stage() {}, step() {}, log() {}, done() {} };
