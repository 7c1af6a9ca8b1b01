#!/usr/bin/env node
// Compile the graders (graders/**/*.ts) to JavaScript in dist/graders/, file by file, so
// the command starts without a transpiler. `npm ci` runs this (the `prepare` script); the
// command itself runs it again when a source is newer than the build (see stagecraft.mjs).
// Type checking stays with `tsc --noEmit` (npm test): esbuild only strips the types.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = path.join(ROOT, 'graders');
export const OUT = path.join(ROOT, 'dist', 'graders');
/** Written last: the list of sources the build was made from. */
const STAMP = path.join(OUT, '.sources.json');

function sources() {
  return readdirSync(SOURCES, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(SOURCES, path.join(e.parentPath, e.name)))
    .sort();
}

/** Why the build cannot be used as it is ('' when it can): missing, a source newer, a source added or removed. */
export function staleReason() {
  if (!existsSync(STAMP)) return 'no build yet';
  const built = statSync(STAMP).mtimeMs;
  const files = sources();
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return 'the build is incomplete';
  }
  if (JSON.stringify(recorded) !== JSON.stringify(files)) return 'grader files were added or removed since the last build';
  const newer = files.find((f) => statSync(path.join(SOURCES, f)).mtimeMs > built);
  return newer ? `graders/${newer} changed since the last build` : '';
}

/** Compile every source; throws with esbuild's first error in one line. */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const files = sources();
  // Built aside, then swapped in: another stagecraft starting meanwhile never sees half a build.
  const fresh = `${OUT}.${process.pid}.new`;
  const old = `${OUT}.${process.pid}.old`;
  await rm(fresh, { recursive: true, force: true });
  try {
    await esbuild({
      entryPoints: files.map((f) => path.join(SOURCES, f)),
      outdir: fresh,
      outbase: SOURCES,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
  } catch (err) {
    const first = err.errors?.[0];
    const where = first?.location ? `${path.relative(ROOT, first.location.file)}:${first.location.line}: ` : '';
    await rm(fresh, { recursive: true, force: true });
    throw new Error(`could not compile the graders: ${where}${first?.text ?? err.message}`);
  }
  writeFileSync(path.join(fresh, path.basename(STAMP)), JSON.stringify(files));
  await rename(OUT, old).catch(() => undefined);
  await rename(fresh, OUT);
  await rm(old, { recursive: true, force: true });
  return files.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  try {
    const n = await build();
    process.stderr.write(`stagecraft: compiled ${n} grader files to dist/graders/ in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    process.stderr.write(`stagecraft: ${err.message}\n`);
    process.exitCode = 1;
  }
}
