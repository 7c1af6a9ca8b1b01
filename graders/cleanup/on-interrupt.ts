import { firstLine } from '../format/text.js';
/**
 * Containers, images and temporary folders a grade makes must go away even when the
 * grader is interrupted (Ctrl-C, SIGTERM) or fails unexpectedly. Each resource registers
 * its removal here while it exists; the command-line entry points install the handlers
 * that run them (a library user, such as a test runner, keeps its own signal handling).
 * What a grader killed outright (SIGKILL, power loss) leaves is swept by `leftovers.ts`.
 */
type Cleanup = () => Promise<unknown>;

/**
 * What a cleanup ends or removes, in that order: what runs (containers, builds) before the
 * images and folders it uses (an image a container still runs cannot be removed).
 */
const ORDER = ['running', 'image', 'other'] as const;
export type CleanupKind = (typeof ORDER)[number];

const pending = new Map<Cleanup, CleanupKind>();
let installed = false;
/** Why this process is stopping, once it is. */
let stopping: string | undefined;

/**
 * Why this process is stopping (a signal, a crash), once it is. The cleanups then remove
 * what grades still under way use, so what such a grade finds (a build whose context went,
 * a container removed mid-probe) is no verdict on the student's work.
 */
export function stoppingBecause(): string | undefined {
  return stopping;
}

/** Run every pending cleanup, what runs first, then images, then the rest; including those registered while others run. */
export async function runPendingCleanups(): Promise<void> {
  for (let round = 0; round < 2; round++) {
    while (pending.size > 0) {
      const kind = ORDER.find((k) => [...pending.values()].includes(k));
      const now = [...pending].filter(([, k]) => k === kind).map(([cleanup]) => cleanup);
      for (const cleanup of now) pending.delete(cleanup);
      await Promise.allSettled(now.map((c) => c()));
    }
    // A temporary folder whose creation was under way when the signal came registers a
    // moment later: give in-flight file-system calls a chance to land, then look again.
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Run every pending cleanup on SIGINT/SIGTERM, then exit 130/143. */
export function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // Stays registered (`on`, not `once`): libraries using signal-exit (testcontainers' file
    // lock) re-raise a signal as soon as theirs is the only handler left, which would end the
    // process before the cleanups ran. A second signal during the cleanup ends it at once.
    process.on(signal, () => {
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopping = signal === 'SIGINT' ? 'was interrupted (Ctrl-C)' : 'was terminated (SIGTERM)';
      process.stderr.write(`\nstagecraft: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'}, cleaning up…\n`);
      void runPendingCleanups().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  // A bug that escapes every handler still removes what the grade made, and says so in one line.
  const crashed = (err: unknown) => {
    // Work cut short by the cleanup itself (a copy whose folder was just removed) is expected.
    if (stopping) return;
    const message = firstLine(err);
    stopping = `failed unexpectedly (${message})`;
    process.stderr.write(`stagecraft: the grader failed unexpectedly (${message}); cleaning up…\n`);
    if (process.env.STAGECRAFT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    void runPendingCleanups().finally(() => process.exit(2));
  };
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
}

/** Register a cleanup of what it removes; call the returned function once the resource is gone by itself. */
export function onInterrupt(cleanup: Cleanup, kind: CleanupKind = 'other'): () => void {
  pending.set(cleanup, kind);
  return () => pending.delete(cleanup);
}
