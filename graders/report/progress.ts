import type { Ora } from 'ora';
import pc from 'picocolors';
import type { BuildStep } from '../buildkit/build.js';
import { oneLine } from '../format/text.js';
import type { Progress } from '../pipeline/progress.js';

/** Steps BuildKit runs for itself, not the student's instructions. */
const isInternal = (step: BuildStep) => !step.error && (!step.name.startsWith('[') || step.name.startsWith('[internal]'));

/**
 * A status line that stays at the bottom of a terminal while lines are printed above it;
 * off a terminal (CI logs, pipes) there is no status line, only the printed lines.
 */
export function statusLine(stream: NodeJS.WriteStream = process.stderr) {
  // A terminal of no width (a pseudo-terminal nobody sized) would send the spinner's line
  // clearing into an endless loop: it gets plain lines.
  const interactive = Boolean(stream.isTTY) && !process.env.CI && (stream.columns ?? 0) > 0;
  // The spinner's library is loaded only for a terminal, beside the work; the status asked
  // for meanwhile shows once it is there.
  let ora: typeof import('ora').default | undefined;
  let spinner: Ora | undefined;
  let pending: string | undefined;
  let stopped = false;
  const show = (text: string) => {
    spinner ??= ora!({ stream, discardStdin: false });
    if (spinner.isSpinning) spinner.text = text;
    else spinner.start(text);
  };
  if (interactive)
    void import('ora')
      .then((m) => {
        ora = m.default;
        if (pending !== undefined && !stopped) show(pending);
      })
      .catch(() => undefined);
  return {
    interactive,
    /** Print a line to keep, above the status line. */
    print(text: string) {
      if (spinner?.isSpinning) spinner.clear();
      stream.write(`${text}\n`);
      if (spinner?.isSpinning) spinner.render();
    },
    /** Show (or change) the status line; nothing off a terminal. */
    status(text: string) {
      if (!interactive) return;
      stopped = false;
      if (ora) show(text);
      else pending = text;
    },
    stop() {
      stopped = true;
      spinner?.stop();
    },
  };
}

/**
 * The pipeline's Progress, drawn. Always stderr: stdout is for results.
 * On a terminal: a spinner with the current stage and build step, and a line per finished
 * step. Elsewhere (CI logs, --json piped): plain lines, no escape codes.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const out = statusLine(stream);
  let current = '';
  return {
    stage(text) {
      current = text;
      if (out.interactive) out.status(text);
      else out.print(pc.dim(`› ${text}`));
    },
    step(step) {
      if (isInternal(step)) return;
      // A step's name is the student's Dockerfile text: never raw on the terminal.
      const name = oneLine(step.name.length > 100 ? `${step.name.slice(0, 99)}…` : step.name);
      if (step.error) out.print(`  ${pc.red('✗')} ${name}`);
      else if (step.done) out.print(`  ${pc.dim(step.cached ? 'cached' : 'done  ')} ${name}`);
      else out.status(`${current}: ${name}`);
    },
    log: (text) => out.print(text),
    done: () => out.stop(),
  };
}
