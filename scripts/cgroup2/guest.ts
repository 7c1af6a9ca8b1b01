/**
 * The runner inside the cgroup v2 VM (scripts/cgroup2.ts boots it; guest.sh starts it as root
 * beside dockerd): loads the base images baked into the disk, runs the build fence's probe, then
 * the build-time hostile cases one at a time, as test/integration/hostile.test.ts grades them
 * (cases.ts: the same limits, the same expected messages). While a case builds, a shell of
 * its own watches the case's step groups (cases.ts' observer: their limits and peaks, the
 * parent group's ceiling); after it, the guest looks for what may be left behind (containers
 * and grade images, temporary folders, processes, step cgroups, the 1.2 GB layer in the build
 * cache) and watches the engine's CPU for a few seconds: the host measured from outside the grader.
 * Each finding is one JSON line in /out/results.jsonl (the host reads it as it comes), and a
 * line for the serial console.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildFence } from '../../graders/fence/index.js';
import { buildCacheRecords, docker, followToEnd, imageExists } from '../../graders/engine/docker.js';
import { NOT_GRADED_ROOM } from '../../graders/fence/ceiling.js';
import { findLab, type LabDefinition } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { removeHostRules } from '../../graders/run/network.js';
import { caseOptions, HOSTILE_CASES, judgeCase, observeSteps, PIDS_PROBE, type HostileCase, type Observed } from '../../test/fixtures/hostile/cases.js';
import { leftovers } from '../../test/helpers/engine.js';
import { CASE_KEYS, ENGINE_QUIET_CPU, ENGINE_QUIET_S, TCG_SLOWDOWN, VM_BUILD_TIMEOUT_MS, type GuestLine } from './shared.js';

const OUT = '/out/results.jsonl';
const IMAGES = '/var/lib/stagecraft-images';
const emit = (line: GuestLine) => {
  appendFileSync(OUT, `${JSON.stringify(line)}\n`);
  process.stdout.write(`stagecraft-guest: ${JSON.stringify(line)}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = <T>(ms: number, what: Promise<T>) => Promise.race([what, sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms / 1000} s`)))]);

async function engineUp(): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return ((await docker().version()) as { Version: string }).Version;
    } catch (err) {
      if (i >= 600) throw err;
      await sleep(1000);
    }
  }
}

/** The processes a case's steps started, if any outlived their step (as hostile.test.ts looks). */
async function survivors(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
    if (/^sleep 424[12]$|bomb\(\)|while :; do :; done|^head -c \d+M|^awk 'BEGIN|xargs touch|^tail -c \d+M|^sleep (9|infinity)$|^cat \/dev\/zero$/.test(cmd))
      found.push(`${pid} ${cmd}`);
  }
  return found;
}

/** Step groups still under BuildKit's parent group (none may outlive its build), after a grace for BuildKit to remove them. */
async function stepGroups(parent: string | undefined): Promise<string[]> {
  if (!parent) return [];
  let left: string[] = [];
  for (let i = 0; i < 20; i++) {
    left = existsSync(parent)
      ? readdirSync(parent, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
      : [];
    if (left.length === 0) break;
    await sleep(500);
  }
  return left.map((n) => path.join(parent, n));
}

const GiB = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** CPU time (s) of the engine's processes: dockerd (BuildKit runs inside it) and containerd. */
function engineCpuSeconds(): number {
  const pids = readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      return ['dockerd', 'containerd'].includes(readFileSync(`/proc/${p}/comm`, 'utf8').trim());
    } catch {
      return false;
    }
  });
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime: every thread's
    } catch {
      // it ended meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}

/** The share of one CPU the engine used in the seconds after a grade (BuildKit's lexer kept at it after a cancelled grade on 20.10). */
async function engineAfter(): Promise<number> {
  const before = engineCpuSeconds();
  await sleep(ENGINE_QUIET_S * 1000);
  return (engineCpuSeconds() - before) / ENGINE_QUIET_S;
}

/** The kit's firewall rules in the kernel now (iptables-nft on sid), one line each. */
const hostRulesNow = () =>
  (spawnSync('iptables', ['-w', '5', '-S'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((l) => l.includes('stagecraft-no-host'));

/** Records of the 1.2 GB stage's layer still in the engine's build cache (the grade must have removed them). */
async function ballastRecords(): Promise<number> {
  return (await within(120_000, buildCacheRecords())).filter((r) => r.Description.includes('ballast-stagecraft-hostile')).length;
}

/**
 * What a case's own observer, or the guest's (by the run token its fixture gives each RUN),
 * saw of its steps from outside the grader, and what is wrong with it: a step seen without
 * the kernel's ceiling on its parent group, a step limit over the grade's, a peak over the limit.
 */
function judgeOutside(observed: Observed, memoryBytes: number): { said: string; problems: string[] } {
  const steps = [...observed.steps.values()];
  const problems: string[] = [];
  if (steps.length === 0) return { said: 'no step seen', problems };
  const limited = steps.filter((s) => Number.isFinite(s.limit));
  const ceiling = observed.parentCeiling;
  const said = [
    `ceiling ${Number.isFinite(ceiling) ? GiB(ceiling) : 'none'}`,
    `${steps.length} step(s)${limited.length < steps.length ? ` (${steps.length - limited.length} seen before their limit)` : ''}`,
    limited.length ? `limit ${GiB(Math.max(...limited.map((s) => s.limit)))}` : '',
    `peak ${GiB(Math.max(...steps.map((s) => s.peak)))}`,
  ].filter(Boolean);
  if (!Number.isFinite(ceiling)) problems.push("outside: the steps' parent group had no memory ceiling while they ran");
  else if (ceiling > memoryBytes + NOT_GRADED_ROOM.memoryBytes + 2 ** 20)
    problems.push(`outside: the parent's ceiling was ${GiB(ceiling)}, more than the grade's ${GiB(memoryBytes)} and the room for other builds`);
  for (const s of limited) {
    if (s.limit > memoryBytes) problems.push(`outside: a step ran with a memory limit of ${GiB(s.limit)}, over the grade's ${GiB(memoryBytes)}`);
    if (s.peak > s.limit + 4096) problems.push(`outside: a step held ${GiB(s.peak)}, past its limit of ${GiB(s.limit)}`);
  }
  return { said: said.join(', '), problems };
}

const main = async () => {
  const started = Date.now();
  const version = await engineUp();
  emit({ kind: 'engine', version, seconds: (Date.now() - started) / 1000, cgroup: (await readFile('/proc/self/cgroup', 'utf8')).trim() });

  for (const file of readdirSync(IMAGES).filter((f) => f.endsWith('.tar'))) {
    const t = Date.now();
    await followToEnd(await docker().loadImage(createReadStream(path.join(IMAGES, file))));
    emit({ kind: 'image', file, seconds: (Date.now() - t) / 1000 });
  }
  if (!(await imageExists('debian:trixie-slim'))) throw new Error("debian:trixie-slim did not load into the VM's engine");

  const t = Date.now();
  const fence = await buildFence();
  const probe: GuestLine =
    'fence' in fence
      ? { kind: 'probe', ok: true, seconds: (Date.now() - t) / 1000, inside: fence.inside, site: fence.fence.site }
      : { kind: 'probe', ok: false, seconds: (Date.now() - t) / 1000, reason: fence.reason };
  emit(probe);
  if (!('fence' in fence)) return;
  const parent = fence.fence.site.parent.controllers.pids?.dir;
  emit({ kind: 'groups', after: 'probe', left: await stepGroups(parent) });

  const labs = new Map<string, LabDefinition>();
  for (const id of ['lab1', 'lab2']) labs.set(id, await findLab(id));
  const before = await leftovers();
  let pidsFence = false;
  // The host names the cases on the kernel's command line (default: all of them).
  const only = (await readFile('/proc/cmdline', 'utf8')).match(/stagecraft\.cases=(\S+)/)?.[1]?.split(',') ?? Object.keys(CASE_KEYS);
  const cases: [string, HostileCase][] = [
    ['pids-probe', PIDS_PROBE],
    ...Object.entries(CASE_KEYS).map(([k, name]): [string, HostileCase] => [k, HOSTILE_CASES.find((c) => c.name === name)!]),
  ];
  for (const [key, c] of cases) {
    if (key !== 'pids-probe' && !only.includes(key)) continue;
    if (c.needsPidsFence && !pidsFence) {
      emit({
        kind: 'case',
        key,
        name: c.name,
        expected: c.message.source,
        seen: 'not run: the pids fence did not hold in its bounded probe',
        problems: ['not run'],
        seconds: 0,
        left: [],
      });
      continue;
    }
    const t0 = Date.now();
    let seen = '';
    let problems: string[];
    const outside: string[] = [];
    // TCG runs everything 10-50 times slower: the grade's whole-build bound is raised, and so is
    // the step timeout (at least to the whole-build bound), where the expected message does not
    // name them, so that slowness never stands in for the limit under test (1,000 forks take
    // longer than 20 s here; three 400 MiB hogs side by side took over 200 s to reach 1 GiB).
    // A frozen grader's freeze is a case's own time bound too: under TCG the hog took more than
    // its 30 s to reach 128 MiB, and the watcher could only stop it after the grader woke.
    const base = caseOptions(c.freezeGrader ? { ...c, freezeGrader: { ...c.freezeGrader, ms: c.freezeGrader.ms * TCG_SLOWDOWN } } : c);
    const namesStepTimeout = c.message.source.includes('the time one step may take');
    const namesBuildTimeout = c.message.source.includes('the build did not finish within');
    const options = {
      ...base,
      buildTimeoutMs: namesBuildTimeout ? base.buildTimeoutMs : Math.max(base.buildTimeoutMs ?? 0, VM_BUILD_TIMEOUT_MS),
      stepTimeoutMs: namesStepTimeout ? base.stepTimeoutMs : Math.max((base.stepTimeoutMs ?? 0) * TCG_SLOWDOWN, VM_BUILD_TIMEOUT_MS),
    };
    let observer: ReturnType<typeof observeSteps> | undefined;
    try {
      const dockerfile = await c.dockerfile();
      // The case's own observer, else one that finds its steps by the token its fixture gives each RUN.
      const token = c.observe ?? readFileSync(dockerfile, 'utf8').match(/# run [0-9a-f]{8}/)?.[0];
      observer = token ? observeSteps(token) : undefined;
      const result = await within(
        c.withinSeconds * TCG_SLOWDOWN * 1000 + 60_000,
        grade(labs.get(c.lab ?? 'lab1')!, { ...options, dockerfile: { kind: 'path', path: dockerfile } }),
      );
      const seconds = (Date.now() - t0) / 1000;
      const observed = await observer?.stop();
      observer = undefined;
      const check = result.checks.find((k) => k.id === c.fails);
      seen = check ? `${check.passed ? '✓' : check.skipped ? '–' : '✗'} ${check.message}` : `(no ${c.fails} check)`;
      problems = judgeCase({ ...c, withinSeconds: c.withinSeconds * TCG_SLOWDOWN }, result, seconds, observed);
      // Limits off, or the firewall rules not installed, is a difference from v1 whatever the verdict.
      problems.push(...result.notes.filter((n) => n.startsWith('build limits are off') || n.startsWith('the firewall rules')));
      if (observed) {
        const judged = judgeOutside(observed, options.buildLimits?.memoryBytes ?? Infinity);
        outside.push(judged.said);
        problems.push(...judged.problems);
      }
    } catch (err) {
      await observer?.stop();
      problems = [`the grader threw: ${(err as Error).message.split('\n')[0]}`];
      seen = problems[0]!;
    }
    const seconds = (Date.now() - t0) / 1000;
    outside.push(`${hostRulesNow().length} firewall rule(s)`);
    const after = await leftovers();
    const ballast = await ballastRecords().catch((err: Error) => {
      problems.push(`the engine's build cache could not be read: ${err.message}`);
      return 0;
    });
    const left = [
      ...(['containers', 'images', 'tempDirs'] as const).flatMap((k) => after[k].filter((x) => !before[k].includes(x)).map((x) => `${k}: ${x}`)),
      ...(await survivors()).map((p) => `process: ${p}`),
      ...(await stepGroups(parent)).map((g) => `step cgroup: ${g}`),
      ...(ballast ? [`build cache: ${ballast} record(s) of the 1.2 GB stage`] : []),
    ];
    const engineCpu = await engineAfter();
    outside.push(`engine ${(engineCpu * 100).toFixed(0)}% CPU after`);
    if (engineCpu > ENGINE_QUIET_CPU)
      problems.push(`outside: the engine kept ${(engineCpu * 100).toFixed(0)}% of a CPU busy in the ${ENGINE_QUIET_S} s after the grade`);
    if (key === 'pids-probe') pidsFence = problems.length === 0;
    emit({ kind: 'case', key, name: c.name, expected: c.message.source, seen, problems, seconds, left, outside: outside.join('; ') });
  }
  // The last grader out takes the rules away (as hostile.test.ts checks after the corpus).
  removeHostRules();
  emit({ kind: 'rules', left: hostRulesNow() });
  emit({ kind: 'end', seconds: (Date.now() - started) / 1000 });
};

main().then(
  () => process.exit(0),
  (err: Error) => {
    emit({ kind: 'error', message: err.message.split('\n')[0]! });
    process.exit(1);
  },
);
