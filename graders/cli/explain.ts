import type { GradeLimits } from '../pipeline/limits.js';
import { CannotGrade } from '../engine/errors.js';
import { explainDockerfile } from '../explain/explain-dockerfile.js';
import { explainImage, type Explained } from '../explain/explain-image.js';
import { explanationJson } from '../explain/explanation.js';
import { renderExplanation } from '../explain/terminal.js';
import { silentProgress } from '../pipeline/progress.js';
import { terminalProgress } from '../report/progress.js';
import { checkPageTarget, writePage } from './page-file.js';

export interface ExplainFlags {
  dockerfile?: string;
  json?: boolean;
  html?: string;
  limits?: GradeLimits;
}

/**
 * `stagecraft explain <image>` or `stagecraft explain --dockerfile <path> [<context>]`:
 * the terminal report, `--json`, and `--html <file>`. Exit 0 when the image was
 * explained, 2 when it could not be (no such image, a build that failed: explained as far
 * as it got, and said so).
 */
export async function explainCommand(target: string | undefined, flags: ExplainFlags): Promise<void> {
  if (!target && !flags.dockerfile) {
    throw new CannotGrade('name an image (`stagecraft explain node:20-trixie-slim`) or a Dockerfile to build (`stagecraft explain --dockerfile Dockerfile .`)');
  }
  if (flags.html) await checkPageTarget(flags.html);
  const progress = flags.json && !process.stderr.isTTY ? silentProgress : terminalProgress();
  const explained: Explained = flags.dockerfile
    ? await explainDockerfile({ dockerfile: flags.dockerfile, context: target, limits: flags.limits, progress })
    : await explainImage(target!, { progress });
  const { explanation } = explained;
  if (flags.json) process.stdout.write(`${JSON.stringify(explanationJson(explanation), null, 2)}\n`);
  else process.stdout.write(`\n${renderExplanation(explanation)}`);
  if (flags.html) {
    const written = await writePage(flags.html, explained);
    process.stderr.write(`page: ${written}\n`);
  }
  process.exitCode = explanation.complete ? 0 : 2;
}
