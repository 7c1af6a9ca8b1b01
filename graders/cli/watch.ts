import path from 'node:path';
import { labDir, solutionDir, type LabDefinition } from '../lab.js';
import { watchAndGrade } from '../watch/grade-on-save.js';

/**
 * The files a grade of this lab reads besides the lab's sources: the Dockerfile under
 * test and every .dockerignore that may apply to it (the lab folder's, the solution's,
 * BuildKit's `<Dockerfile>.dockerignore` beside a Dockerfile given by path).
 */
export function watchedFiles(lab: LabDefinition, flags: { solution?: boolean; dockerfile?: string }): string[] {
  const dockerfile = flags.solution
    ? path.join(solutionDir(lab), 'Dockerfile')
    : flags.dockerfile
      ? path.resolve(flags.dockerfile)
      : path.join(labDir(lab), 'Dockerfile');
  const ignores = [path.join(labDir(lab), '.dockerignore'), path.join(path.dirname(dockerfile), '.dockerignore')];
  if (flags.dockerfile) ignores.push(`${dockerfile}.dockerignore`);
  return [...new Set([dockerfile, ...ignores])];
}

/** `stagecraft grade <lab> --watch`: the same command without --watch, again on every save. */
export async function watchGrade(lab: LabDefinition, flags: { solution?: boolean; dockerfile?: string }, argv = process.argv): Promise<void> {
  const command = [process.execPath, ...process.execArgv, argv[1]!, ...argv.slice(2).filter((a) => a !== '--watch')];
  await watchAndGrade({ files: watchedFiles(lab, flags), command });
}
