import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempFolder } from '../cleanup/temp-folder.js';
import { CannotGrade } from '../engine/errors.js';
import type { LabDefinition } from '../lab.js';
import { grade } from '../pipeline/grade.js';
import type { GradeLimits } from '../pipeline/limits.js';
import { cacheNamespace } from '../prepare/cache-mounts.js';
import { silentProgress } from '../pipeline/progress.js';
import { postedChecks } from './client.js';
import type { RoomOptions } from './server.js';
import { firstLine } from '../format/text.js';

export interface VerifyLimits extends GradeLimits {
  allowImages?: string[];
}

/**
 * Regrade a Dockerfile a student shared, on the room's machine, through the same pipeline
 * and under the same limits as any grade (the room's server runs one at a time). The
 * student's build cache mounts are their own, as in a batch.
 */
export function gradeVerifier(labs: LabDefinition[], limits: VerifyLimits = {}): NonNullable<RoomOptions['verifier']> {
  return async (student, labId, dockerfile) => {
    const lab = labs.find((l) => l.id === labId);
    if (!lab) return { kind: 'could-not-grade', reason: `this kit has no lab ${labId}` };
    const staged = await makeTempFolder('batch');
    try {
      const file = path.join(staged.dir, 'Dockerfile');
      await writeFile(file, dockerfile);
      const result = await grade(lab, {
        dockerfile: { kind: 'path', path: file },
        ...limits,
        cacheNamespace: cacheNamespace('student', student),
        progress: silentProgress,
      });
      return {
        kind: 'graded',
        passed: result.passed,
        score: result.score,
        maxScore: result.maxScore,
        imageSize: result.image?.size ?? null,
        checks: postedChecks(result),
      };
    } catch (err) {
      // The room's machine could not grade (engine gone, a grader fault): never the student's failure.
      return { kind: 'could-not-grade', reason: err instanceof CannotGrade ? err.message : `the grader failed: ${firstLine(err)}` };
    } finally {
      await staged.remove();
    }
  };
}
