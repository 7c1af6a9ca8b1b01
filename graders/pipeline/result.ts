import type { CheckId } from '../checks/types.js';

/** One check in the JSON result (DESIGN.md). A skipped check is never passed. */
export interface CheckResult {
  id: CheckId;
  title: string;
  passed: boolean;
  skipped: boolean;
  message: string;
  hint: string;
  slide: string;
  details: Record<string, unknown>;
}

/** The JSON result of grading one lab (DESIGN.md); `--json` prints exactly this. */
export interface GradeResult {
  lab: string;
  dockerfile: string;
  passed: boolean;
  score: number;
  maxScore: number;
  image: { size: number; standInBases: string[] } | null;
  checks: CheckResult[];
  /** Things the grader did or noticed that the student should know (not verdicts). */
  notes: string[];
  durationMs: number;
  /** Where the time went, per pipeline stage (absent stages did not run). */
  timings: Partial<Record<'prepare' | 'build' | 'inspect' | 'scan' | 'run' | 'rebuild', number>>;
}
