import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import pc from 'picocolors';
import type { GradeOptions } from '../pipeline/grade.js';
import type { GradeResult } from '../pipeline/result.js';
import { gradeLimits, LIMIT_SETTINGS, parseLimit, showValue, type GradeLimits, type LimitSetting } from '../pipeline/limits.js';
import { CannotGrade } from '../engine/errors.js';
import type { Evidence } from '../checks/types.js';
import { addRoomCommand } from './room.js';
import { runMain } from './run-main.js';
import { shownPath } from '../format/path.js';

// Each command loads what it needs when it runs (the engine client, testcontainers, the
// tar and protobuf readers are heavy): `stagecraft --help` loads none of them.

/** A flag's value, read in this unit; else commander's one-line usage error. */
const parsed = (unit: LimitSetting['unit']) => (text: string) => {
  const read = parseLimit(unit, text);
  if ('error' in read) throw new InvalidArgumentError(read.error);
  return read.value;
};

function withLimitOptions(cmd: Command, stage?: LimitSetting['stage']): Command {
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
const limitsOf = (flags: object): GradeLimits =>
  gradeLimits(
    Object.fromEntries(
      LIMIT_SETTINGS.map((s) => [s.flag, (flags as Record<string, number | undefined>)[s.flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())]]),
    ),
  );

/** `--allow-image a --allow-image b`: collected into a list. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** An instructor's allowlist file: one image pattern a line, `#` comments. */
async function readAllowFile(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CannotGrade(`cannot read the allowlist file ${file}`);
  });
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

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

interface GradeFlags {
  allowImage?: string[];
  html?: string;
  watch?: boolean;
  solution?: boolean;
  dockerfile?: string;
  json?: boolean;
  junit?: string;
  summary?: string;
  keepImage?: boolean;
}

/**
 * Before grading: remove what a grader killed outright left behind. Said only where the one
 * running it is the machine's operator (a batch): in a student's grade it is another
 * process's business, and `stagecraft clean` says it on demand.
 */
async function sweepAndSay(say: boolean): Promise<void> {
  const [{ engineAnswers }, { describeSweep, sweepLeftovers }] = await Promise.all([import('../engine/docker.js'), import('../cleanup/leftovers.js')]);
  if (!(await engineAnswers())) return; // the grade itself says how to start the engine
  const line = describeSweep(await sweepLeftovers());
  if (line && say) process.stderr.write(`${pc.dim(`stagecraft: ${line}`)}\n`);
}

export function program(): Command {
  const cli = new Command('stagecraft')
    .description('grade Docker multi-stage build labs')
    .showHelpAfterError('(run `stagecraft --help` for usage)')
    .exitOverride((err) => {
      // Usage errors are "could not grade": exit 2, commander has printed one line already.
      throw Object.assign(new CannotGrade(''), { exitCode: err.exitCode === 0 ? 0 : 2, commanderCode: err.code });
    });

  withLimitOptions(
    cli
      .command('grade')
      .description("build, inspect and run a lab's Dockerfile, and report each check")
      .argument('<lab>', 'the lab: lab1, 1 or lab1-go')
      .option('--solution', 'grade the reference solution instead of labs/<lab>/Dockerfile')
      .option('--dockerfile <path>', "grade this Dockerfile against the lab's sources (the lab folder is not touched)")
      .option('--json', 'print only the JSON result on stdout (progress goes to stderr)')
      .option('--junit <file>', 'also write the result as JUnit XML to <file>')
      .option('--summary <file>', 'also append the result as Markdown to <file> (a CI job summary: $GITHUB_STEP_SUMMARY)')
      .option('--keep-image', 'keep the built image, named stagecraft/<lab>, for you to explore')
      .option('--allow-image <pattern>', 'also allow this base image (repeatable; `*` matches anything: myregistry/golang:*)', collect)
      .option('--html <file>', "also write a page: the checks, and a zoomable treemap of the image's bytes with what made them")
      .option('--watch', 'grade again each time the Dockerfile or .dockerignore is saved (Ctrl-C to stop)'),
  ).action(async (labName: string, flags: GradeFlags) => {
    if (flags.solution && flags.dockerfile) throw new CannotGrade('use --solution or --dockerfile, not both');
    const [{ findLab }, { grade }, { silentProgress }, { terminalProgress }, { renderTerminal }] = await Promise.all([
      import('../lab.js'),
      import('../pipeline/grade.js'),
      import('../pipeline/progress.js'),
      import('../report/progress.js'),
      import('../report/terminal.js'),
    ]);
    const lab = await findLab(labName);
    if (flags.watch) return (await import('./watch.js')).watchGrade(lab, flags);
    const page = flags.html ? await import('./grade-page.js') : undefined;
    await page?.checkPageTarget(flags.html!);
    let evidence: Evidence | undefined;
    // What killed graders left is theirs alone (never this grade's): swept beside the grade.
    const sweeping = sweepAndSay(false).catch(() => undefined);
    const dockerfile: GradeOptions['dockerfile'] = flags.solution
      ? { kind: 'solution' }
      : flags.dockerfile
        ? { kind: 'path', path: flags.dockerfile }
        : { kind: 'lab' };
    // The report is written as soon as the verdict is known; the grade's clean-up follows it.
    const report = async (result: GradeResult) => {
      // A kit that joined a room posts the result there while the report is written (never the solution's).
      const posting = flags.solution ? undefined : import('../room/client.js').then((room) => room.postResult(result));
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`\n${renderTerminal(result)}`);
      if (flags.junit) await writeFile(flags.junit, (await import('../report/junit.js')).toJUnit([result]));
      if (flags.summary) await appendFile(flags.summary, (await import('../report/markdown.js')).toMarkdown(result));
      if (page) process.stderr.write(`page: ${await page.writeGradePage(flags.html!, result, evidence)}\n`);
      const posted = await posting;
      if (posted) process.stderr.write(`${pc.dim(posted)}\n`);
    };
    const result = await grade(lab, {
      dockerfile,
      ...limitsOf(flags),
      keepImage: flags.keepImage,
      allowImages: flags.allowImage,
      progress: flags.json && !process.stderr.isTTY ? silentProgress : terminalProgress(),
      onEvidence: (e) => (evidence = e),
      onVerdict: report,
    });
    await sweeping;
    process.exitCode = result.passed ? 0 : 1;
  });
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
    await sweepAndSay(true);
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
