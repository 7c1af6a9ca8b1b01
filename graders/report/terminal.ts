import { slideReference } from '../kit/slide-ref.js';
import pc from 'picocolors';
import type { GradeResult } from '../pipeline/result.js';
import { visible } from '../format/text.js';
import { outcome } from './outcome.js';

/**
 * check50-style: a ✓, ✗ or – per check with one line of reason; under each failure the
 * hint and the slide to read; then the score.
 */
export function renderTerminal(result: GradeResult, color = pc.isColorSupported): string {
  const c = pc.createColors(color);
  const width = Math.max(...result.checks.map((k) => k.id.length));
  const lines = [c.bold(`stagecraft · ${result.lab}`) + c.dim(` · ${visible(result.dockerfile)}`), ''];
  for (const check of result.checks) {
    const mark = check.skipped ? c.yellow('–') : check.passed ? c.green('✓') : c.red('✗');
    const id = check.id.padEnd(width);
    // A message may hold several findings, one a line: the later ones line up under the first.
    const [first, ...more] = visible(check.message).split('\n');
    lines.push(`${mark} ${check.passed ? id : check.skipped ? c.yellow(id) : c.red(id)}  ${first}`);
    for (const line of more) lines.push(`  ${' '.repeat(width)}  ${line}`);
    if (!check.passed && !check.skipped) {
      lines.push(`  ${' '.repeat(width)}  ${c.cyan('hint:')} ${visible(check.hint).replaceAll('\n', ' ')}`);
      lines.push(`  ${' '.repeat(width)}  ${c.cyan('read:')} ${slideReference(check.slide)}`);
    }
  }
  lines.push('');
  for (const note of result.notes) lines.push(c.dim(`note: ${visible(note)}`));
  const left = outcome(result);
  const verdict = result.passed ? c.green(c.bold(left.text)) : left.toFix ? c.red(left.text) : c.yellow(left.text);
  lines.push(`${result.score}/${result.maxScore} checks passed — ${verdict} ${c.dim(`(${(result.durationMs / 1000).toFixed(1)} s)`)}`);
  return `${lines.join('\n')}\n`;
}
