import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { imageExists } from '../engine/docker.js';

/**
 * `# syntax=docker/dockerfile:1` makes BuildKit fetch a Dockerfile frontend image. Where
 * that image is not here (an offline classroom) the build would fail before it starts;
 * the engine's built-in frontend understands the same Dockerfiles, so the directive is
 * commented out in the temporary copy (never in the student's file) and a note says so.
 */
export async function withoutUnavailableSyntax(contextDir: string, syntax: string | undefined): Promise<string | undefined> {
  if (!syntax || (await imageExists(syntax))) return undefined;
  const file = path.join(contextDir, 'Dockerfile');
  const text = await readFile(file, 'utf8');
  // "# stagecraft ignored: syntax=…" is a comment, no longer a directive.
  const rewritten = text.replace(/^#(\s*syntax\s*=)/im, '# stagecraft ignored:$1');
  await writeFile(file, rewritten);
  return `the \`# syntax=${syntax}\` line was ignored: that frontend image is not on this machine, so the engine's built-in Dockerfile frontend was used`;
}
