import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { findLab } from '../lab.js';
import { grade, type GradeOptions } from '../pipeline/grade.js';
import { toJUnit } from '../report/junit.js';
import { silentProgress, terminalProgress } from '../report/progress.js';
import { renderTerminal } from '../report/terminal.js';
import { CannotGrade } from '../engine/errors.js';
import { runMain } from './run-main.js';

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('give a number of seconds above 0');
  return n;
};

interface GradeFlags {
  solution?: boolean;
  dockerfile?: string;
  json?: boolean;
  junit?: string;
  buildTimeout: number;
  keepImage?: boolean;
}

export function program(): Command {
  const cli = new Command('stagecraft')
    .description('grade Docker multi-stage build labs')
    .showHelpAfterError('(run `stagecraft --help` for usage)')
    .exitOverride((err) => {
      // Usage errors are "could not grade": exit 2, commander has printed one line already.
      throw Object.assign(new CannotGrade(''), { exitCode: err.exitCode === 0 ? 0 : 2, commanderCode: err.code });
    });

  cli
    .command('grade')
    .description('build, inspect and run a lab\'s Dockerfile, and report each check')
    .argument('<lab>', 'the lab: lab1, 1 or lab1-go')
    .option('--solution', 'grade the reference solution instead of labs/<lab>/Dockerfile')
    .option('--dockerfile <path>', 'grade this Dockerfile against the lab\'s sources (the lab folder is not touched)')
    .option('--json', 'print only the JSON result on stdout (progress goes to stderr)')
    .option('--junit <file>', 'also write the result as JUnit XML to <file>')
    .option('--build-timeout <seconds>', 'stop a build that runs longer than this', seconds, 600)
    .option('--keep-image', 'keep the built image (tagged stagecraft-grade/<lab>:<id>) for you to explore')
    .action(async (labName: string, flags: GradeFlags) => {
      if (flags.solution && flags.dockerfile) throw new CannotGrade('use --solution or --dockerfile, not both');
      const lab = await findLab(labName);
      const dockerfile: GradeOptions['dockerfile'] = flags.solution
        ? { kind: 'solution' }
        : flags.dockerfile
          ? { kind: 'path', path: flags.dockerfile }
          : { kind: 'lab' };
      const result = await grade(lab, {
        dockerfile,
        buildTimeoutMs: flags.buildTimeout * 1000,
        keepImage: flags.keepImage,
        progress: flags.json && !process.stderr.isTTY ? silentProgress : terminalProgress(),
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`\n${renderTerminal(result)}`);
      if (flags.junit) await writeFile(flags.junit, toJUnit([result]));
      process.exitCode = result.passed ? 0 : 1;
    });
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  await runMain(async () => {
    try {
      await program().parseAsync(argv);
    } catch (err) {
      const code = (err as { exitCode?: number }).exitCode;
      if (err instanceof CannotGrade && code !== undefined) {
        process.exitCode = code; // commander already said what was wrong
        return;
      }
      throw err;
    }
  });
}
