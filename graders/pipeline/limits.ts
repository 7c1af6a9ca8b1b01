import { DEFAULT_BUILD_LIMITS, DEFAULT_BUILD_TIMEOUT_MS, type BuildLimits } from '../fence/limits.js';
import type { BuildSettings } from '../buildkit/grade-builds.js';
import { formatBytes, formatCount, formatMemory, parseSize } from '../format/bytes.js';
import { DEFAULT_RUN_LIMITS, type RunLimits } from '../run/limits.js';

/**
 * Every limit a grade holds to, as one object from the command line (or a batch, or a room's
 * regrade) to the stages that apply them. A field left out takes the lab's value where the lab
 * sets one (run limits), else the default below.
 */
export interface GradeLimits extends BuildSettings {
  /** What the graded container may use, and how long it is waited for. */
  runLimits?: Partial<RunLimits>;
}

/** How a flag's value is written: memory in binary units (as `docker run --memory`), disk in decimal (as image sizes). */
type Unit = 'seconds' | 'memory' | 'bytes' | 'count' | 'cpus';

/** One limit: its flag, what it limits, its default, and where a grade reads it. */
export interface LimitSetting {
  /** The command-line flag without its dashes: `build-memory`. */
  flag: string;
  unit: Unit;
  /** What it limits, as --help and README's table say it. */
  what: string;
  /** The default in the flag's unit (bytes, seconds, a count); undefined where it follows another limit. */
  value: number | undefined;
  /** The default in words, where it depends on the machine or on another limit. */
  words?: string;
  /** Build limits also hold for `explain --dockerfile`; run limits only for a grade. */
  stage: 'build' | 'run';
  /** Put a value, in the flag's unit, into a grade's limits. */
  set: (limits: GradeLimits, value: number) => void;
}

const build = (key: keyof BuildLimits) => (l: GradeLimits, v: number) => void (l.buildLimits = { ...l.buildLimits, [key]: v });
const run =
  (key: keyof RunLimits, scale = 1) =>
  (l: GradeLimits, v: number) =>
    void (l.runLimits = { ...l.runLimits, [key]: v * scale });
const B = DEFAULT_BUILD_LIMITS;
const R = DEFAULT_RUN_LIMITS;

/** The one table of limits: the CLI's flags, README's table and the defaults all come from it. */
export const LIMIT_SETTINGS: readonly LimitSetting[] = [
  {
    flag: 'build-timeout',
    unit: 'seconds',
    stage: 'build',
    what: "time for all of a grade's builds together",
    value: DEFAULT_BUILD_TIMEOUT_MS / 1000,
    set: (l, v) => void (l.buildTimeoutMs = v * 1000),
  },
  {
    flag: 'step-timeout',
    unit: 'seconds',
    stage: 'build',
    what: 'time for one build step',
    value: undefined,
    words: 'as --build-timeout',
    set: (l, v) => void (l.stepTimeoutMs = v * 1000),
  },
  {
    flag: 'build-memory',
    unit: 'memory',
    stage: 'build',
    what: 'memory each build step may use, and the steps of a build together (no swap)',
    value: B.memoryBytes,
    set: build('memoryBytes'),
  },
  {
    flag: 'build-pids',
    unit: 'count',
    stage: 'build',
    what: 'processes and threads each build step may run, and the steps of a build together',
    value: B.pids,
    words: '512, or 16 per CPU on a larger machine',
    set: build('pids'),
  },
  {
    flag: 'build-cpus',
    unit: 'cpus',
    stage: 'build',
    what: 'CPUs each build step may keep busy',
    value: B.cpus,
    words: "half the machine's, at least 1",
    set: build('cpus'),
  },
  {
    flag: 'build-disk',
    unit: 'bytes',
    stage: 'build',
    what: "bytes a build's steps may write (layers, cache mounts)",
    value: B.diskBytes,
    set: build('diskBytes'),
  },
  { flag: 'build-files', unit: 'count', stage: 'build', what: "files and folders a build's steps may create", value: B.files, set: build('files') },
  { flag: 'run-memory', unit: 'memory', stage: 'run', what: 'memory the graded container may use (no swap)', value: R.memoryBytes, set: run('memoryBytes') },
  { flag: 'run-pids', unit: 'count', stage: 'run', what: 'processes and threads the graded container may run', value: R.pids, set: run('pids') },
  { flag: 'run-cpus', unit: 'cpus', stage: 'run', what: 'CPUs the graded container may keep busy', value: R.cpus, set: run('cpus') },
  {
    flag: 'startup-timeout',
    unit: 'seconds',
    stage: 'run',
    what: 'time for the app to answer its ready path after the container starts',
    value: R.startupTimeoutMs / 1000,
    set: run('startupTimeoutMs', 1000),
  },
  {
    flag: 'probe-timeout',
    unit: 'seconds',
    stage: 'run',
    what: 'time for the app to answer each probe',
    value: R.probeTimeoutMs / 1000,
    set: run('probeTimeoutMs', 1000),
  },
];

/** A default as --help and README show it: `2GiB`, `4GB`, `300,000`, `600 s`. */
export function showValue(unit: Unit, value: number): string {
  if (unit === 'memory') return formatMemory(value).replace(' ', '');
  if (unit === 'bytes') return formatBytes(value).replace(' ', '');
  if (unit === 'seconds') return `${value} s`;
  return unit === 'count' ? formatCount(value) : String(value);
}

/** Read a flag's text: the value in the flag's unit, or what to write instead. */
export function parseLimit(unit: Unit, text: string): { value: number } | { error: string } {
  if (unit === 'memory' || unit === 'bytes') {
    const n = parseSize(text);
    return n ? { value: n } : { error: 'give a size such as 2g, 1536m or 4GB' };
  }
  const n = Number(text);
  if (unit === 'seconds') return Number.isFinite(n) && n > 0 ? { value: n } : { error: 'give a number of seconds above 0' };
  if (unit === 'cpus') return Number.isFinite(n) && n >= 0.1 ? { value: n } : { error: 'give a number of CPUs of 0.1 or more' };
  return Number.isInteger(n) && n >= 1 ? { value: n } : { error: 'give a whole number of 1 or more' };
}

/** The limits given by flag (`{ 'build-memory': 1073741824 }`), as one object for the stages. */
export function gradeLimits(given: Record<string, number | undefined>, stage?: LimitSetting['stage']): GradeLimits {
  const limits: GradeLimits = {};
  for (const s of LIMIT_SETTINGS) if (given[s.flag] !== undefined && (!stage || s.stage === stage)) s.set(limits, given[s.flag]!);
  return limits;
}

/** README's table of limits, written from the table above (a test keeps README's copy the same). */
export function limitsTable(): string {
  const rows = LIMIT_SETTINGS.map(
    (s) =>
      `| \`--${s.flag}\` | ${s.what} | ${s.words ?? showValue(s.unit, s.value!)} | ${s.stage === 'build' ? 'grade, batch, explain --dockerfile' : 'grade, batch'} |`,
  );
  return ['| flag | what it limits | default | for |', '|---|---|---|---|', ...rows].join('\n');
}
