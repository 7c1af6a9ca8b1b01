import { slideReference } from '../kit/slide-ref.js';
import { formatBytes } from '../format/bytes.js';
import type { GradeResult } from '../pipeline/result.js';
import { markdownText } from '../format/text.js';
import { outcome } from './outcome.js';

/** Everything shown is text, never Markdown or HTML: a message may carry a student's output. */
const cell = markdownText;

/** One grade as Markdown, for a CI job summary (`--summary $GITHUB_STEP_SUMMARY`). */
export function toMarkdown(result: GradeResult): string {
  const lines = [
    `## ${result.passed ? '✅' : '❌'} ${cell(result.lab)}: ${result.score}/${result.maxScore}${result.image ? ` · ${formatBytes(result.image.size)}` : ''}`,
    '',
    '| | check | result |',
    '|---|---|---|',
    ...result.checks.map((c) => {
      const icon = c.passed ? '✅' : c.skipped ? '➖' : '❌';
      const more = !c.passed && !c.skipped ? `<br>hint: ${cell(c.hint)}<br>read: ${cell(slideReference(c.slide))}` : '';
      return `| ${icon} | \`${c.id}\` | ${cell(c.message)}${more} |`;
    }),
  ];
  lines.push('', cell(`${result.score}/${result.maxScore} checks passed — ${outcome(result).text}`));
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `> ${cell(n)}`));
  return `${lines.join('\n')}\n\n`;
}
