import { formatBytes } from '../format/bytes.js';
import type { GradeResult } from '../pipeline/result.js';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** One grade as Markdown, for a CI job summary (`--summary $GITHUB_STEP_SUMMARY`). */
export function toMarkdown(result: GradeResult): string {
  const lines = [
    `## ${result.passed ? '✅' : '❌'} ${result.lab}: ${result.score}/${result.maxScore}${result.image ? ` · ${formatBytes(result.image.size)}` : ''}`,
    '',
    '| | check | result |',
    '|---|---|---|',
    ...result.checks.map((c) => {
      const icon = c.passed ? '✅' : c.skipped ? '➖' : '❌';
      const more = !c.passed && !c.skipped ? `<br>hint: ${cell(c.hint)}<br>read: \`${c.slide}\`` : '';
      return `| ${icon} | \`${c.id}\` | ${cell(c.message)}${more} |`;
    }),
  ];
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `> ${n}`));
  return `${lines.join('\n')}\n\n`;
}
