import pc from 'picocolors';
import { installInterruptHandlers, stoppingBecause } from '../cleanup/on-interrupt.js';
import { CannotGrade } from '../engine/errors.js';

/**
 * Run a command's body; any error ends the process with one line on stderr and exit 2
 * (no stack trace: set STAGECRAFT_DEBUG=1 to see one). The body sets its own exit code.
 */
export async function runMain(body: () => Promise<unknown>): Promise<void> {
  // testcontainers' reaper (Ryuk) is an image to pull, which an offline machine cannot; the
  // grader removes what it starts itself (and sweeps by label what a killed grader left).
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  installInterruptHandlers();
  try {
    await body();
  } catch (err) {
    // Stopping, the handler has said so ("terminated, cleaning up…") and sets the exit code:
    // what the cut work threw next is not news.
    if (stoppingBecause()) return;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${pc.red('error:')} ${message}\n`);
    if (process.env.STAGECRAFT_DEBUG && err instanceof Error && !(err instanceof CannotGrade)) {
      process.stderr.write(`${err.stack}\n`);
    }
    process.exitCode = 2;
  }
}
