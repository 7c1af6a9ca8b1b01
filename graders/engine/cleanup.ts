/**
 * Containers and images a grade makes must go away even when the grader is interrupted
 * (Ctrl-C, SIGTERM). Each resource registers its removal here while it exists; the
 * command-line entry points install the signal handlers that run them (a library user,
 * such as a test runner, keeps its own signal handling).
 */
type Cleanup = () => Promise<unknown>;

const pending = new Set<Cleanup>();
let installed = false;

async function runAll(): Promise<void> {
  const all = [...pending];
  pending.clear();
  await Promise.allSettled(all.map((c) => c()));
}

/** Run every pending cleanup on SIGINT/SIGTERM, then exit 130/143. */
export function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nstagecraft: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'}, cleaning up…\n`);
      void runAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

/** Register a cleanup; call the returned function once the resource is gone by itself. */
export function onInterrupt(cleanup: Cleanup): () => void {
  pending.add(cleanup);
  return () => pending.delete(cleanup);
}
