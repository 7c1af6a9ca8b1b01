import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import { CannotGrade } from '../engine/errors.js';
import { gradeLimits, LIMIT_SETTINGS, parseLimit, showValue, type GradeLimits, type LimitSetting } from '../pipeline/limits.js';

// What several commands share: the limit flags (from the one table of limits), the image
// allowlist, and the sweep of what killed graders left.

/** A flag's value, read in this unit; else commander's one-line usage error. */
export const parsed = (unit: LimitSetting['unit']) => (text: string) => {
  const read = parseLimit(unit, text);
  if ('error' in read) throw new InvalidArgumentError(read.error);
  return read.value;
};

export function withLimitOptions(cmd: Command, stage?: LimitSetting['stage']): Command {
  for (const s of LIMIT_SETTINGS.filter((s) => !stage || s.stage === stage)) {
    const placeholder = s.unit === 'memory' || s.unit === 'bytes' ? 'size' : s.unit === 'seconds' ? 'seconds' : 'n';
    cmd.addOption(
      new Option(`--${s.flag} <${placeholder}>`, `${s.what} (default: ${s.value === undefined ? s.words : showValue(s.unit, s.value)})`).argParser(
        parsed(s.unit),
      ),
    );
  }
  return cmd;
}

/** The limit flags given (commander names `--build-memory`'s value `buildMemory`), as the one settings object every stage reads. */
export const limitsOf = (flags: object): GradeLimits =>
  gradeLimits(
    Object.fromEntries(
      LIMIT_SETTINGS.map((s) => [s.flag, (flags as Record<string, number | undefined>)[s.flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())]]),
    ),
  );

/** `--allow-image a --allow-image b`: collected into a list. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** An instructor's allowlist file: one image pattern a line, `#` comments. */
export async function readAllowFile(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CannotGrade(`cannot read the allowlist file ${file}`);
  });
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/**
 * Before grading: remove what a grader killed outright left behind. Said only where the one
 * running it is the machine's operator (a batch): in a student's grade it is another
 * process's business, and `stagecraft clean` says it on demand.
 */
export async function sweepAndSay(opts: { say: boolean; quick?: boolean }): Promise<void> {
  const [{ engineAnswers }, { describeSweep, sweepLeftovers }] = await Promise.all([import('../engine/docker.js'), import('../cleanup/leftovers.js')]);
  if (!(await engineAnswers(3000))) return; // the grade itself says how to start the engine; a sweep is not worth waiting for
  const line = describeSweep(await sweepLeftovers({ quick: opts.quick }));
  if (line && opts.say) process.stderr.write(`${pc.dim(`stagecraft: ${line}`)}\n`);
}
