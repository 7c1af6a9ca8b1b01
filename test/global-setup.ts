import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The tests' own scratch folders (fixtures, students, JUnit files), removed after the run. */
const SCRATCH = /^stagecraft-(test|junit|hostile)-/;
let before = new Set<string>();

const scratch = async () => (await readdir(tmpdir())).filter((d) => SCRATCH.test(d));

export async function setup(): Promise<void> {
  before = new Set(await scratch());
  // Tests that run the command run the compiled graders: compile them once, up front,
  // if a source changed since (the command would do it itself, once per process racing).
  const { build, staleReason } = await import('../bin/build.mjs');
  if (staleReason()) await build();
}

export async function teardown(): Promise<void> {
  for (const d of await scratch()) if (!before.has(d)) await rm(path.join(tmpdir(), d), { recursive: true, force: true });
}
