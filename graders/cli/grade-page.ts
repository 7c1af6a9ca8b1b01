import type { Evidence } from '../checks/types.js';
import { explainFacts, type Explained } from '../explain/explain-image.js';
import type { GradeResult } from '../pipeline/result.js';
import { writePage } from './page-file.js';

export { checkPageTarget } from './page-file.js';

/** What a grade that made no image can still show: its checks, and why there is nothing to draw. */
function nothingBuilt(result: GradeResult): Explained {
  return {
    explanation: {
      ref: result.dockerfile,
      id: '',
      size: 0,
      user: '',
      standIn: false,
      layers: [],
      findings: [],
      complete: false,
      notes: ['there is no image to draw: the Dockerfile did not build'],
      durationMs: result.durationMs,
    },
    files: [],
    findingsOf: () => [],
  };
}

/**
 * `grade --html`: the explain page of the graded image (the same inspection the checks
 * read, through the general rule sets), with the grade's checks on top.
 */
export async function writeGradePage(file: string, result: GradeResult, evidence: Evidence | undefined): Promise<string> {
  const df = evidence?.lint.ok ? evidence.lint.dockerfile : undefined;
  const explained = evidence?.image ? explainFacts(evidence.image, { ref: result.dockerfile, df }) : nothingBuilt(result);
  explained.explanation.durationMs = result.durationMs;
  return writePage(file, explained, result);
}
