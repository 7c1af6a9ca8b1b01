import { appendFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { Evidence } from '../checks/types.js';
import { CannotGrade } from '../engine/errors.js';
import type { GradeOptions } from '../pipeline/grade.js';
import type { GradeResult } from '../pipeline/result.js';
import { collect, limitsOf, sweepAndSay, withLimitOptions } from './options.js';

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

/** `stagecraft grade <lab>`: one grade, its report on the terminal (or JSON), and the files asked for. */
export function addGradeCommand(cli: Command): void {
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
    // The build fence's thread boots on the other core while this one loads the grade's modules.
    if (!flags.watch) (await import('../fence/index.js')).startFenceEarly();
    const [{ findLab }, { grade, getReady }, { silentProgress }, { terminalProgress }, { renderTerminal }] = await Promise.all([
      import('../lab.js'),
      import('../pipeline/grade.js'),
      import('../pipeline/progress.js'),
      import('../report/progress.js'),
      import('../report/terminal.js'),
    ]);
    const lab = await findLab(labName);
    if (flags.watch) return (await import('./watch.js')).watchGrade(lab, flags);
    const dockerfile: GradeOptions['dockerfile'] = flags.solution
      ? { kind: 'solution' }
      : flags.dockerfile
        ? { kind: 'path', path: flags.dockerfile }
        : { kind: 'lab' };
    // What killed graders left is theirs alone (never this grade's): swept after the verdict by
    // the process the grade's clean-up is handed to (on the containerd image store, listing the
    // images during the grade slowed its build and run by 0.2 s), or, in a grade `--watch` keeps
    // ready, while the student edits. A grade that cannot start sweeps nothing.
    let sweeping: Promise<void> | undefined;
    const sweep = () => (sweeping ??= sweepAndSay({ say: false, quick: true }).catch(() => undefined));
    // A grade `--watch` started ahead of the next save waits here, ready and swept, until it is made.
    await (await import('../watch/grade-on-save.js')).toldToGrade(() => Promise.all([getReady(lab, dockerfile), sweep()]));
    const page = flags.html ? await import('./grade-page.js') : undefined;
    await page?.checkPageTarget(flags.html!);
    let evidence: Evidence | undefined;
    let handed = false;
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
      // The prompt comes back with the verdict: a process of its own removes what the grade made, then sweeps.
      handOff: async (left) => {
        const [{ handOff }, network] = await Promise.all([import('../cleanup/hand-off.js'), import('../run/network.js')]);
        // The firewall rules go with the rest, once the container is gone: their removal (two iptables runs) no longer holds the prompt.
        const rules = await network.holdsRules();
        const cleaner = await handOff({ ...left, rules });
        if (cleaner !== undefined && rules) network.handRulesTo(cleaner);
        return (handed = cleaner !== undefined);
      },
    });
    process.exitCode = result.passed ? 0 : 1;
    if (handed) await exitOnceWritten();
    await sweep();
  });

  // The cleaner a grade hands its clean-up to (hand-off.ts): started by the grade, never by a person.
  cli
    .command('finish-grade', { hidden: true })
    .argument('<work>')
    .action(async (work: string) => {
      const [{ finishHandedOff }, { releaseHandedRules }] = await Promise.all([import('../cleanup/hand-off.js'), import('../run/network.js')]);
      const handed = JSON.parse(work) as import('../cleanup/hand-off.js').HandedOff;
      await finishHandedOff(handed, async () => {
        // Once the grade's container is gone: the rules were kept for it (unless another grader holds them still).
        if (handed.rules) await releaseHandedRules(handed.graderPid);
        await sweepAndSay({ say: false, quick: true });
      });
    });
}

/**
 * End the process once what it printed has reached the terminal or pipe: what is still in
 * flight (the container's removal, which the engine finishes by itself) is the cleaner's.
 */
async function exitOnceWritten(): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write('', r))));
  process.exit();
}
