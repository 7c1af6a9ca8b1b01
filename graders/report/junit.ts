import junitPackage from 'junit-report-builder';

// A CommonJS module whose typings declare an ES default export.
const builder = junitPackage as unknown as typeof junitPackage.default;
import type { GradeResult } from '../pipeline/result.js';

/** JUnit XML for CI systems: one suite per lab, one test case per check. */
export function toJUnit(results: GradeResult[]): string {
  const report = builder.newBuilder();
  for (const result of results) {
    const suite = report.testSuite().name(`stagecraft.${result.lab}`).time(result.durationMs / 1000);
    for (const check of result.checks) {
      const testCase = suite.testCase().className(`stagecraft.${result.lab}`).name(check.id);
      if (check.skipped) testCase.skipped().standardOutput(check.message);
      else if (!check.passed) testCase.failure(check.message, 'check-failed').standardOutput(`hint: ${check.hint}\nread: ${check.slide}`);
      else testCase.standardOutput(check.message);
    }
  }
  return report.build();
}
