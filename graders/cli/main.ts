import { Command } from 'commander';
import { CannotGrade } from '../engine/errors.js';
import { addBatchCommands } from './batch.js';
import { addGradeCommand } from './grade.js';
import { limitsOf, withLimitOptions } from './options.js';
import { addRoomCommand } from './room.js';
import { runMain } from './run-main.js';

// Each command loads what it needs when it runs (the engine client, testcontainers, the
// tar and protobuf readers are heavy): `stagecraft --help` loads none of them. Each command
// is defined in a file of its own (grade.ts, batch.ts, room.ts); explain's few lines are here,
// apart from its work (explain.ts), which is heavy to load.

export function program(): Command {
  const cli = new Command('stagecraft')
    .description('grade Docker multi-stage build labs')
    .showHelpAfterError('(run `stagecraft --help` for usage)')
    .exitOverride((err) => {
      // Usage errors are "could not grade": exit 2, commander has printed one line already.
      throw Object.assign(new CannotGrade(''), { exitCode: err.exitCode === 0 ? 0 : 2, commanderCode: err.code });
    });
  addGradeCommand(cli);
  addBatchCommands(cli);
  const explain = cli
    .command('explain')
    .description(
      'explain any image: bytes per layer and the instruction that made each, toolchains, caches, secrets, deleted files that still ship, root; and what to do',
    )
    .argument('[image-or-context]', "a local image (name or id); with --dockerfile, the build context (default: the Dockerfile's folder)")
    .option('--dockerfile <path>', 'build this Dockerfile (BuildKit, the same limits as a grade) and explain the image')
    .option('--json', 'print only the JSON explanation on stdout (progress goes to stderr)')
    .option('--html <file>', "also write one self-contained page with a zoomable treemap of the image's bytes");
  withLimitOptions(explain, 'build').action(async (target: string | undefined, flags: import('./explain.js').ExplainFlags) => {
    const { explainCommand } = await import('./explain.js');
    await explainCommand(target, { ...flags, limits: limitsOf(flags) });
  });
  addRoomCommand(cli);
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
