import ora, { type Ora } from 'ora';
import pc from 'picocolors';
import type { BuildStep } from '../build/build.js';

/** Where the pipeline says what it is doing. Always stderr: stdout is for results. */
export interface Progress {
  stage(text: string): void;
  step(step: BuildStep): void;
  /** A line worth keeping in the log (not a transient status). */
  log(text: string): void;
  done(): void;
}

export const silentProgress: Progress = { stage() {}, step() {}, log() {}, done() {} };

/** Steps BuildKit runs for itself, not the student's instructions. */
const isInternal = (step: BuildStep) => !step.error && (!step.name.startsWith('[') || step.name.startsWith('[internal]'));

/**
 * On a terminal: a spinner with the current stage and build step, and a line per finished
 * step. Elsewhere (CI logs, --json piped): plain lines, no escape codes.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const interactive = Boolean(stream.isTTY) && !process.env.CI;
  let spinner: Ora | undefined;
  let current = '';
  const line = (text: string) => {
    if (spinner?.isSpinning) spinner.clear();
    stream.write(`${text}\n`);
    if (spinner?.isSpinning) spinner.render();
  };
  return {
    stage(text) {
      current = text;
      if (interactive) {
        spinner ??= ora({ stream, discardStdin: false });
        spinner.start(text);
      } else {
        line(pc.dim(`› ${text}`));
      }
    },
    step(step) {
      if (isInternal(step)) return;
      const name = step.name.length > 100 ? `${step.name.slice(0, 99)}…` : step.name;
      if (step.error) line(`  ${pc.red('✗')} ${name}`);
      else if (step.done) line(`  ${pc.dim(step.cached ? 'cached' : 'done  ')} ${name}`);
      else if (spinner) spinner.text = `${current}: ${name}`;
    },
    log(text) {
      line(text);
    },
    done() {
      spinner?.stop();
    },
  };
}
