import pc from 'picocolors';
import type { GradeResult } from '../pipeline/result.js';

/**
 * check50-style: a ✓, ✗ or – per check with one line of reason; under each failure the
 * hint and the slide to read; then the score.
 */
export function renderTerminal(result: GradeResult, color = pc.isColorSupported): string {
  const c = pc.createColors(color);
  const width = Math.max(...result.checks.map((k) => k.id.length));
  const lines = [
    c.bold(`stagecraft · ${result.lab}`) + c.dim(` · ${result.dockerfile}`),
    '',
  ];
  for (const check of result.checks) {
    const mark = check.skipped ? c.yellow('–') : check.passed ? c.green('✓') : c.red('✗');
    const id = check.id.padEnd(width);
    lines.push(`${mark} ${check.passed ? id : check.skipped ? c.yellow(id) : c.red(id)}  ${check.message}`);
    if (!check.passed && !check.skipped) {
      lines.push(`  ${' '.repeat(width)}  ${c.cyan('hint:')} ${check.hint}`);
      lines.push(`  ${' '.repeat(width)}  ${c.cyan('read:')} ${check.slide}`);
    }
  }
  lines.push('');
  for (const note of result.notes) lines.push(c.dim(`note: ${note}`));
  const verdict = result.passed ? c.green(c.bold('all checks passed')) : c.red(`${result.maxScore - result.score} check(s) to fix`);
  lines.push(`${result.score}/${result.maxScore} checks passed — ${verdict} ${c.dim(`(${(result.durationMs / 1000).toFixed(1)} s)`)}`);
  return `${lines.join('\n')}\n`;
}
