import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processAlive as alive } from '../graders/cleanup/leftovers.js';

/** The tests' own scratch folders (fixtures, students, JUnit files), removed after the run. */
const SCRATCH = /^stagecraft-(test|junit|hostile)-/;
/** One per test run in progress: another run's new scratch folders are not this run's to remove. */
const RUN_MARK = /^stagecraft-vitest-(\d+)\.run$/;
const mark = path.join(tmpdir(), `stagecraft-vitest-${process.pid}.run`);
let before = new Set<string>();

const scratch = async () => (await readdir(tmpdir())).filter((d) => SCRATCH.test(d));

export async function setup(): Promise<void> {
  before = new Set(await scratch());
  await writeFile(mark, '');
  // Tests that run the command run the compiled graders: compile them once, up front,
  // if a source changed since (the command would do it itself, once per process racing).
  const { build, staleReason } = await import('../bin/build.mjs');
  if (staleReason()) await build();
}

export async function teardown(): Promise<void> {
  await rm(mark, { force: true });
  // While another run is going (a second terminal, CI beside a developer), a new folder may be its own.
  const others = (await readdir(tmpdir())).map((d) => RUN_MARK.exec(d)?.[1]).filter((pid) => pid && alive(Number(pid)));
  if (others.length) return;
  for (const d of await scratch()) if (!before.has(d)) await rm(path.join(tmpdir(), d), { recursive: true, force: true });
}
