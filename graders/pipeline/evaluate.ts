import type { Check, Evidence, Need } from '../checks/types.js';
import type { CheckResult } from './result.js';

/** Why a check that needs `need` cannot be evaluated from this evidence, or undefined when it can. */
export function missing(need: Need, e: Evidence): string | undefined {
  if (e.refusal && (need !== 'parse' || !e.lint.ok)) return 'the Dockerfile was refused, so nothing was built';
  switch (need) {
    case 'parse':
      return e.lint.ok ? undefined : 'the Dockerfile does not parse';
    case 'build':
      return e.build ? undefined : 'the image was not built';
    case 'image':
      return e.image ? undefined : 'there is no image: the build failed';
    case 'layers':
      if (!e.image) return 'there is no image: the build failed';
      // A scan that blew its budget is the submission's doing: the check fails, saying so.
      return e.image.files || e.image.scanProblem ? undefined : 'the image is too large to scan its layers';
    case 'run':
      if (!e.image) return 'there is no image to run: the build failed';
      return e.run ? undefined : 'the container was not run';
    case 'processes':
      if (!e.image) return 'there is no image to run: the build failed';
      return e.run?.processUids.length ? undefined : 'the container did not stay up long enough to list its processes';
    case 'rebuild':
      if (!e.image) return 'there is no image: the build failed';
      return e.rebuild ? undefined : 'there was no rebuild';
  }
}

/** Evaluate every check; one whose evidence is missing is skipped with the reason, never passed. */
export function evaluateChecks(checks: Check[], evidence: Evidence): CheckResult[] {
  return checks.map((check) => {
    const base = { id: check.id, title: check.title, slide: check.slide, hint: check.hint };
    const reason = check.needs.map((n) => missing(n, evidence)).find(Boolean);
    if (reason) return { ...base, passed: false, skipped: true, message: `skipped: ${reason}`, details: {} };
    const verdict = check.evaluate(evidence);
    return {
      ...base,
      passed: verdict.passed,
      skipped: false,
      message: verdict.message,
      hint: verdict.hint ?? check.hint,
      details: verdict.details ?? {},
    };
  });
}
