/**
 * `npm run bench:hostile` — the hostile corpus as figures, build-time and run-time cases
 * apart: how many were contained (ended as the failed check they must, within their
 * limit), the time each took and the longest, and what was left behind (containers, grade
 * images, temporary folders: must be zero). Cases run one at a time, so each time is the
 * time to contain that case alone. The fork bomb runs only after the bounded pids probe
 * showed the fence holding.
 */
import { buildFence, ceilingLine, unlimitedLine } from '../graders/fence/index.js';
import { requireEngine } from '../graders/engine/docker.js';
import { findLab } from '../graders/lab.js';
import { grade } from '../graders/pipeline/grade.js';
import { runMain } from '../graders/cli/run-main.js';
import { caseOptions, HOSTILE_CASES, judgeCase, observeSteps, PIDS_PROBE, type HostileCase } from '../test/fixtures/hostile/cases.js';
import { leftovers } from '../test/helpers/engine.js';

interface Outcome {
  c: HostileCase;
  seconds: number;
  problems: string[];
}

async function contain(c: HostileCase): Promise<Outcome> {
  const dockerfile = await c.dockerfile();
  // Watched from outside the grader (a shell reading the steps' cgroup files), where the case asks.
  const observer = c.observe ? observeSteps(c.observe) : undefined;
  const started = Date.now();
  try {
    const result = await grade(await findLab(c.lab ?? 'lab1'), { ...caseOptions(c), dockerfile: { kind: 'path', path: dockerfile } });
    const seconds = (Date.now() - started) / 1000;
    return { c, seconds, problems: judgeCase(c, result, seconds, await observer?.stop()) };
  } catch (err) {
    await observer?.stop();
    return { c, seconds: (Date.now() - started) / 1000, problems: [`the grader threw: ${(err as Error).message.split('\n')[0]}`] };
  }
}

const line = (o: Outcome) =>
  `  ${o.problems.length ? '✗' : '✓'} ${o.c.name.padEnd(78)} ${o.seconds.toFixed(1).padStart(6)} s (limit ${o.c.withinSeconds} s)${o.problems.map((p) => `\n      ${p}`).join('')}`;

await runMain(async () => {
  await requireEngine();
  const fence = await buildFence();
  const seen = 'fence' in fence ? [...fence.inside.matchAll(/sees \S*\/(\S+)=(\S+)/g)].map((m) => `${m[1]}=${m[2]}`).join(', ') : '';
  console.log('fence' in fence ? `build limits: on (the probe step saw its own limits: ${seen || 'none visible from inside'})` : unlimitedLine(fence.reason));
  if ('fence' in fence) console.log(fence.ceiling ? ceilingLine(fence.ceiling) : "the kernel's ceiling sits on the steps' parent group while grades build");
  const before = await leftovers();
  const outcomes: Outcome[] = [];

  for (const stage of ['build', 'run'] as const) {
    console.log(
      `\n${stage === 'build' ? 'build time: what RUN steps and the Dockerfile itself do to the grading machine' : 'run time: what the built image does when the grader runs it'}`,
    );
    const cases = HOSTILE_CASES.filter((c) => c.stage === stage);
    let pidsFence = true;
    if (stage === 'build') {
      const probe = await contain(PIDS_PROBE);
      console.log(line(probe));
      pidsFence = probe.problems.length === 0;
    }
    const mine: Outcome[] = [];
    for (const c of cases) {
      const o = c.needsPidsFence && !pidsFence ? { c, seconds: 0, problems: ['not run: the pids fence did not hold in its bounded probe'] } : await contain(c);
      console.log(line(o));
      mine.push(o);
    }
    const longest = mine.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    console.log(
      `  ${stage}-time cases contained: ${mine.filter((o) => !o.problems.length).length} / ${mine.length}; longest: ${longest.seconds.toFixed(1)} s (${longest.c.name}); in all ${mine.reduce((n, o) => n + o.seconds, 0).toFixed(1)} s`,
    );
    outcomes.push(...mine);
  }

  const after = await leftovers();
  const left = (['containers', 'images', 'tempDirs'] as const).reduce((n, k) => n + after[k].filter((x) => !before[k].includes(x)).length, 0);
  const contained = outcomes.filter((o) => !o.problems.length).length;
  console.log(`\nhostile cases contained: ${contained} / ${outcomes.length}`);
  console.log(`leftovers found: ${left}`);
  process.exitCode = contained === outcomes.length && left === 0 ? 0 : 1;
});
