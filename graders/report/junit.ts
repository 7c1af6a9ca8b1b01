import { slideReference } from '../kit/slide-ref.js';
import junitPackage from 'junit-report-builder';

// A CommonJS module whose typings declare an ES default export.
const builder = junitPackage as unknown as typeof junitPackage.default;
import type { GradeResult } from '../pipeline/result.js';
import { visible } from '../format/text.js';

export interface JUnitOptions {
  /** Suite and class names start with this: `stagecraft` for one grade, `stagecraft.<student>` in a batch. */
  prefix?: string;
  /** Labs with no result (not submitted, could not grade): one case each, failed or in error. */
  missing?: { lab: string; status: string; reason: string }[];
}

/** JUnit XML for CI systems: one suite per lab, one test case per check. */
export function toJUnit(results: GradeResult[], opts: JUnitOptions = {}): string {
  const prefix = opts.prefix ?? 'stagecraft';
  const report = builder.newBuilder();
  for (const missing of opts.missing ?? []) {
    const testCase = report.testSuite().name(`${prefix}.${missing.lab}`).testCase().className(`${prefix}.${missing.lab}`).name('graded');
    if (missing.status === 'not submitted') testCase.failure(visible(`not submitted: ${missing.reason}`), 'not-submitted');
    else testCase.error(visible(`${missing.status}: ${missing.reason}`), 'could-not-grade');
  }
  for (const result of results) {
    const suite = report
      .testSuite()
      .name(`${prefix}.${result.lab}`)
      .time(result.durationMs / 1000);
    for (const check of result.checks) {
      const testCase = suite.testCase().className(`${prefix}.${result.lab}`).name(check.id);
      // XML 1.0 cannot even hold most control characters: they are shown as escapes.
      const message = visible(check.message);
      if (check.skipped) testCase.skipped().standardOutput(message);
      else if (!check.passed) testCase.failure(message, 'check-failed').standardOutput(visible(`hint: ${check.hint}\nread: ${slideReference(check.slide)}`));
      else testCase.standardOutput(message);
    }
  }
  return report.build();
}
