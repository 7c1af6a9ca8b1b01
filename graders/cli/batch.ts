import path from 'node:path';
import type { Command } from 'commander';
import { shownPath } from '../format/path.js';
import { collect, limitsOf, parsed, readAllowFile, sweepAndSay, withLimitOptions } from './options.js';

interface BatchFlags {
  allowImage?: string[];
  allowImages?: string;
  labs?: string;
  concurrency: number;
  shard?: string;
  out: string;
  resume?: boolean;
  minFree: number;
  allowUnlimitedBuilds?: boolean;
}

/** `stagecraft batch <submissions-dir>`: a class graded into a gradebook; `merge` joins shards' gradebooks; `clean` sweeps what killed graders left. */
export function addBatchCommands(cli: Command): void {
  withLimitOptions(
    cli
      .command('batch')
      .description("grade every student's submissions (one folder per student) and write a gradebook")
      .argument('<submissions-dir>', 'one folder per student, each a copy of the kit with their labs/<lab>/Dockerfile')
      .option('--labs <labs>', 'only these labs, comma-separated: lab1,lab3 (default: every lab)')
      .option('--concurrency <n>', 'grades at a time', parsed('count'), 2)
      .option('--shard <K/N>', "grade the K-th of N equal shares of the students (merge the shards' outputs with `stagecraft merge`)")
      .option('--out <dir>', 'where results and the gradebook go', 'gradebook')
      .option('--resume', 'keep the results already in --out and grade only what is missing')
      .option('--min-free <GB>', 'refuse to start, and stop taking grades, with less free disk than this', Number, 5)
      .option('--allow-image <pattern>', 'also allow this base image (repeatable; `*` matches anything)', collect)
      .option('--allow-images <file>', 'also allow the image patterns in this file, one a line')
      .option('--allow-unlimited-builds', 'grade even where build limits cannot be applied (a remote engine, not root)'),
  ).action(async (dir: string, flags: BatchFlags) => {
    const [{ allLabs, findLab }, { runBatch }, { parseShard }, { batchProgress }] = await Promise.all([
      import('../lab.js'),
      import('../batch/run-batch.js'),
      import('../batch/shard.js'),
      import('../batch/progress.js'),
    ]);
    const labs = flags.labs ? await Promise.all(flags.labs.split(',').map((l) => findLab(l.trim()))) : await allLabs();
    const outDir = path.resolve(flags.out);
    await sweepAndSay({ say: true });
    const outcome = await runBatch({
      submissionsDir: path.resolve(dir),
      labs,
      outDir,
      concurrency: flags.concurrency,
      shard: flags.shard ? parseShard(flags.shard) : undefined,
      resume: Boolean(flags.resume),
      limits: limitsOf(flags),
      allowUnlimitedBuilds: flags.allowUnlimitedBuilds,
      minFreeBytes: flags.minFree * 1e9,
      allowImages: [...(flags.allowImage ?? []), ...(flags.allowImages ? await readAllowFile(flags.allowImages) : [])],
      progress: batchProgress(flags.concurrency),
    });
    const { graded, 'not-submitted': missing, 'could-not-grade': failed } = outcome.counts;
    process.stdout.write(
      `${outcome.students} students: graded ${graded}, not submitted ${missing}, could not grade ${failed}${outcome.notReached ? `, not reached ${outcome.notReached}` : ''}\n`,
    );
    process.stdout.write(`gradebook: ${shownPath(path.join(outDir, 'gradebook.html'))}\n`);
    if (failed || outcome.notReached) {
      const then = outcome.stoppedBecause ? `the batch stopped taking grades: ${outcome.stoppedBecause}; then` : 'when the engine is back,';
      process.stderr.write(`${failed + outcome.notReached} grade(s) could not be done; ${then} run the same command with --resume\n`);
      process.exitCode = 2;
    }
  });

  cli
    .command('merge')
    .description('join the outputs of several batches (shards) into one gradebook')
    .argument('<dirs...>', 'the --out folders of the batches')
    .option('--out <dir>', 'where the merged gradebook goes', 'gradebook')
    .action(async (dirs: string[], flags: { out: string }) => {
      const { mergeBatches } = await import('../batch/merge.js');
      const book = await mergeBatches(dirs, path.resolve(flags.out));
      process.stdout.write(`${book.rows.length} students from ${dirs.length} batch(es); gradebook: ${shownPath(path.resolve(flags.out, 'gradebook.html'))}\n`);
    });
  cli
    .command('clean')
    .description('remove the containers, grade images and temporary folders that graders killed outright left behind')
    .action(async () => {
      const [{ requireEngine }, { describeSweep, sweepLeftovers }] = await Promise.all([import('../engine/docker.js'), import('../cleanup/leftovers.js')]);
      await requireEngine();
      const line = describeSweep(await sweepLeftovers());
      process.stdout.write(`${line || 'nothing to clean: no grader left anything behind'}\n`);
    });
}
