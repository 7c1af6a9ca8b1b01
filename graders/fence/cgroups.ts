import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The Linux control groups of a BuildKit step, read and written through the cgroup file
 * system: cgroup v1 (one hierarchy per controller, as on this project's machine), v2 (one
 * unified hierarchy, as on GitHub's runners and Docker Desktop's VM) and the hybrid of both.
 */

export type Controller = 'memory' | 'pids' | 'cpu' | 'cpuacct';
const CONTROLLERS: Controller[] = ['memory', 'pids', 'cpu', 'cpuacct'];

/** Where each controller keeps one group, on the host. */
export interface CgroupDirs {
  /** Per controller: the group's folder and the cgroup version of that hierarchy. */
  controllers: Partial<Record<Controller, { dir: string; version: 1 | 2 }>>;
  /** The group's folder in the unified (v2) hierarchy, when there is one (for cgroup.kill). */
  unified?: string;
}

export interface CgroupMount {
  version: 1 | 2;
  controllers: string[];
  root: string;
  mountPoint: string;
}

/** The cgroup file systems mounted in a mount namespace (`/proc/<pid>/mountinfo`). */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    const root = unescapeMount(fields[3] ?? '/');
    const mountPoint = unescapeMount(fields[4] ?? '');
    if (fstype === 'cgroup2') mounts.push({ version: 2, controllers: [], root, mountPoint });
    if (fstype === 'cgroup') mounts.push({ version: 1, controllers: superOptions.split(','), root, mountPoint });
  }
  return mounts;
}

/** mountinfo escapes spaces, tabs, newlines and backslashes as octal. */
export const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Where `/proc/<pid>/cgroup` (its text) puts a process on the host, given the host's cgroup
 * mounts: a folder per v1 controller, and the unified (v2) folder if there is one.
 */
export function placeInHierarchies(procCgroup: string, mounts: CgroupMount[]): { v1: Partial<Record<Controller, string>>; unified?: string } {
  const place: { v1: Partial<Record<Controller, string>>; unified?: string } = { v1: {} };
  const under = (m: CgroupMount, p: string) => path.join(m.mountPoint, path.relative(m.root, p));
  for (const line of procCgroup.trim().split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, list = '', p = ''] = match;
    if (list === '') {
      const m = mounts.find((x) => x.version === 2);
      if (m) place.unified = under(m, p);
      continue;
    }
    for (const c of list.split(',')) {
      const m = mounts.find((x) => x.version === 1 && x.controllers.includes(c));
      if (m && (CONTROLLERS as string[]).includes(c)) place.v1[c as Controller] = under(m, p);
    }
  }
  return place;
}

/**
 * A process's groups on the host. A v1 controller wins over v2 (the hybrid layout); v2
 * controllers count only where the unified group has them enabled.
 */
export async function cgroupDirsOf(pid: number, mounts: CgroupMount[]): Promise<CgroupDirs> {
  const place = placeInHierarchies(await readFile(`/proc/${pid}/cgroup`, 'utf8'), mounts);
  const dirs: CgroupDirs = { controllers: {}, unified: place.unified };
  for (const [c, dir] of Object.entries(place.v1)) dirs.controllers[c as Controller] = { dir, version: 1 };
  if (place.unified) {
    const enabled = (await readFile(path.join(place.unified, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
    for (const c of CONTROLLERS) {
      const v2Name = c === 'cpuacct' ? 'cpu' : c; // v2 accounts CPU time in the cpu controller
      if (enabled.includes(v2Name) && !dirs.controllers[c]) dirs.controllers[c] = { dir: place.unified, version: 2 };
    }
  }
  return dirs;
}

/** The same layout one level down: `<parent>/<leaf>` in every hierarchy. */
export function childDirs(parent: CgroupDirs, leaf: string): CgroupDirs {
  const controllers: CgroupDirs['controllers'] = {};
  for (const [c, d] of Object.entries(parent.controllers)) controllers[c as Controller] = { dir: path.join(d.dir, leaf), version: d.version };
  return { controllers, unified: parent.unified && path.join(parent.unified, leaf) };
}

/** The same layout one level up. */
export function parentDirs(dirs: CgroupDirs): CgroupDirs {
  const controllers: CgroupDirs['controllers'] = {};
  for (const [c, d] of Object.entries(dirs.controllers)) controllers[c as Controller] = { dir: path.dirname(d.dir), version: d.version };
  return { controllers, unified: dirs.unified && path.dirname(dirs.unified) };
}

async function write(file: string, value: string, optional = false): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
}

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
  cpus: number;
}

/**
 * Whether a write to a step's group failed for want of the group: not made yet (runc makes it
 * in each v1 hierarchy in turn: ENOENT), or being removed (ENODEV: the kernel refuses writes to
 * a dying group, its step over); undefined for any other failure.
 */
export function groupMissing(err: unknown): 'not yet' | 'removed' | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' ? 'not yet' : code === 'ENODEV' ? 'removed' : undefined;
}

/**
 * Whether a step's group holds no process in any hierarchy: gone, going, or empty. A step
 * whose group could not be limited is let go only then (its step is over), never while it runs.
 */
export async function groupEmpty(dirs: CgroupDirs): Promise<boolean> {
  const folders = new Set([...Object.values(dirs.controllers).map((c) => c.dir), ...(dirs.unified ? [dirs.unified] : [])]);
  const held = await Promise.all(
    [...folders].map((dir) =>
      readFile(path.join(dir, 'cgroup.procs'), 'utf8').then(
        (pids) => pids.trim() !== '',
        () => false, // gone (ENOENT) or going (ENODEV)
      ),
    ),
  );
  return !held.includes(true);
}

/**
 * Put limits on a group. Memory: no swap beyond it; on v1 the kernel's OOM killer is
 * switched off for the group, so a step at its limit waits, frozen, for the fence to stop
 * it and say why (the killer would pick one process, and the step might go on or fail with
 * a misleading error); on v2 the whole group is killed at once. Throws when a file cannot
 * be written (no permission: the grader is not root).
 */
export async function applyLimits(dirs: CgroupDirs, limits: CgroupLimits): Promise<void> {
  const { memory, pids, cpu } = dirs.controllers;
  if (!memory || !pids) throw new Error('the memory and pids controllers are not available');
  const bytes = String(Math.floor(limits.memoryBytes / 4096) * 4096);
  // The killer's setting first: a step already running flat out reaches the limit between two
  // writes, and the killer, still on, would take one process and let the step go on unnamed.
  if (memory.version === 1) {
    await write(path.join(memory.dir, 'memory.oom_control'), '1');
    await write(path.join(memory.dir, 'memory.limit_in_bytes'), bytes);
    await write(path.join(memory.dir, 'memory.memsw.limit_in_bytes'), bytes, true); // absent without swap accounting
  } else {
    await write(path.join(memory.dir, 'memory.oom.group'), '1', true);
    await write(path.join(memory.dir, 'memory.max'), bytes);
    await write(path.join(memory.dir, 'memory.swap.max'), '0', true);
  }
  await write(path.join(pids.dir, 'pids.max'), String(limits.pids));
  if (cpu) {
    const quota = String(Math.round(limits.cpus * 100_000));
    if (cpu.version === 1) {
      await write(path.join(cpu.dir, 'cpu.cfs_period_us'), '100000');
      await write(path.join(cpu.dir, 'cpu.cfs_quota_us'), quota);
    } else {
      await write(path.join(cpu.dir, 'cpu.max'), `${quota} 100000`);
    }
  }
}

/** The limits a group has now, read back (the probe proves a write took). */
export async function readLimits(dirs: CgroupDirs): Promise<{ memoryBytes?: number; pids?: number }> {
  const { memory, pids } = dirs.controllers;
  const num = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : undefined);
  const mem = memory ? await readFile(path.join(memory.dir, memory.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), 'utf8').catch(() => '') : '';
  const max = pids ? await readFile(path.join(pids.dir, 'pids.max'), 'utf8').catch(() => '') : '';
  return { memoryBytes: num(mem), pids: num(max) };
}

/** One reading of a group: what it uses now, its peaks, and whether it hit a limit. */
export interface CgroupSample {
  /** Memory the kernel cannot reclaim without swap (anonymous and shared memory): what fills a machine. */
  anonBytes: number;
  /** All charged memory, page cache included (reclaimed under the limit as needed). */
  usageBytes: number;
  /** The group's peak charged memory, when the kernel keeps one. */
  peakBytes?: number;
  /** At its memory limit with nothing left to reclaim: v1 "under_oom", v2 an OOM kill. */
  outOfMemory: boolean;
  pids: number;
  pidsPeak?: number;
  /** Forks refused by pids.max so far. */
  pidsRefused: number;
  /** CPU time used, in nanoseconds. */
  cpuNs?: number;
}

/** `key value` lines (memory.stat, memory.events, pids.events, cpu.stat) → numbers. */
export function keyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

const readText = (dir: string, file: string) => readFile(path.join(dir, file), 'utf8');
const readNumber = async (dir: string, file: string) => Number((await readText(dir, file)).trim());
const optionalNumber = (dir: string, file: string) => readNumber(dir, file).catch(() => undefined);

/** Read a group; rejects (ENOENT) once the step is over and its group gone. */
export async function sample(dirs: CgroupDirs): Promise<CgroupSample> {
  const { memory, pids, cpu, cpuacct } = dirs.controllers;
  if (!memory || !pids) throw new Error('the memory and pids controllers are not available');
  const stat = keyValues(await readText(memory.dir, 'memory.stat'));
  const pidsEvents = keyValues(await readText(pids.dir, 'pids.events').catch(() => ''));
  const base = {
    pids: await readNumber(pids.dir, 'pids.current'),
    pidsPeak: await optionalNumber(pids.dir, 'pids.peak'),
    pidsRefused: pidsEvents.get('max') ?? 0,
  };
  if (memory.version === 1) {
    const oom = keyValues(await readText(memory.dir, 'memory.oom_control'));
    const acct = cpuacct ?? cpu;
    return {
      ...base,
      anonBytes: (stat.get('total_rss') ?? stat.get('rss') ?? 0) + (stat.get('total_shmem') ?? stat.get('shmem') ?? 0),
      usageBytes: await readNumber(memory.dir, 'memory.usage_in_bytes'),
      peakBytes: await optionalNumber(memory.dir, 'memory.max_usage_in_bytes'),
      outOfMemory: oom.get('under_oom') === 1 || (oom.get('oom_kill') ?? 0) > 0,
      cpuNs: acct?.version === 1 ? await optionalNumber(acct.dir, 'cpuacct.usage') : undefined,
    };
  }
  const events = keyValues(await readText(memory.dir, 'memory.events'));
  const cpuStat = cpu ? keyValues(await readText(cpu.dir, 'cpu.stat').catch(() => '')) : new Map<string, number>();
  const usec = cpuStat.get('usage_usec');
  return {
    ...base,
    anonBytes: (stat.get('anon') ?? 0) + (stat.get('shmem') ?? 0),
    usageBytes: await readNumber(memory.dir, 'memory.current'),
    peakBytes: await optionalNumber(memory.dir, 'memory.peak'),
    outOfMemory: (events.get('oom_kill') ?? 0) > 0 || (events.get('oom_group_kill') ?? 0) > 0,
    cpuNs: usec === undefined ? undefined : usec * 1000,
  };
}

/** The processes in a group. */
export async function processes(dirs: CgroupDirs): Promise<number[]> {
  const dir = dirs.controllers.pids?.dir ?? dirs.controllers.memory?.dir ?? dirs.unified;
  if (!dir) return [];
  const text = await readText(dir, 'cgroup.procs').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/**
 * Kill every process in a group: cgroup.kill where the kernel has it (v2, or the unified
 * hierarchy of a hybrid host), else SIGKILL to each process until none is left (a step's
 * processes share a PID namespace, so killing its first process takes the rest along).
 */
export async function killAll(dirs: CgroupDirs): Promise<void> {
  if (dirs.unified) {
    try {
      await writeFile(path.join(dirs.unified, 'cgroup.kill'), '1');
      return;
    } catch {
      // an older kernel: signal each process below
    }
  }
  for (let round = 0; round < 50; round++) {
    const pids = await processes(dirs);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The ceiling on the group BuildKit makes its step groups in (the parent): memory with no
 * swap beyond it, and processes. Every step is born under it, so no step ever runs without
 * a limit, even before the fence has found it. Kept as the files' own text, so the limits
 * a parent had before the grader came can be put back exactly.
 */
export interface Ceiling {
  /** memory.limit_in_bytes (v1) or memory.max (v2). */
  memory: string;
  /** memory.memsw.limit_in_bytes (v1) or memory.swap.max (v2), when the kernel has it. */
  swap?: string;
  /** pids.max */
  pids: string;
}

function ceilingFiles(dirs: CgroupDirs): { memory: string; swap: string; pids: string } {
  const { memory, pids } = dirs.controllers;
  if (!memory || !pids) throw new Error('the memory and pids controllers are not available');
  return memory.version === 1
    ? {
        memory: path.join(memory.dir, 'memory.limit_in_bytes'),
        swap: path.join(memory.dir, 'memory.memsw.limit_in_bytes'),
        pids: path.join(pids.dir, 'pids.max'),
      }
    : { memory: path.join(memory.dir, 'memory.max'), swap: path.join(memory.dir, 'memory.swap.max'), pids: path.join(pids.dir, 'pids.max') };
}

/** The ceiling a parent has now. */
export function readCeiling(dirs: CgroupDirs): Ceiling {
  const files = ceilingFiles(dirs);
  const swap = (() => {
    try {
      return readFileSync(files.swap, 'utf8').trim();
    } catch {
      return undefined; // no swap accounting
    }
  })();
  return { memory: readFileSync(files.memory, 'utf8').trim(), swap, pids: readFileSync(files.pids, 'utf8').trim() };
}

/** The ceiling for these many bytes and processes, in the files' own words (v1 or v2). */
export function ceilingFor(dirs: CgroupDirs, want: { memoryBytes: number; pids: number }): Ceiling {
  const bytes = String(Math.floor(want.memoryBytes / 4096) * 4096);
  const v1 = dirs.controllers.memory?.version === 1;
  return { memory: bytes, swap: v1 ? bytes : '0', pids: String(want.pids) };
}

/**
 * Put a ceiling on a parent (or put an earlier one back). On v1 the memory limit may never
 * exceed memory+swap: raising, memsw goes first; lowering, memory goes first. A memory
 * limit below what the group holds now is refused (EBUSY) once the kernel cannot reclaim
 * enough; the caller decides what that means.
 */
export function writeCeiling(dirs: CgroupDirs, c: Ceiling): void {
  const files = ceilingFiles(dirs);
  const v1 = dirs.controllers.memory?.version === 1;
  const put = (file: string, value: string | undefined) => {
    if (value === undefined) return;
    try {
      writeFileSync(file, value);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && file === files.swap) return; // no swap accounting
      throw err;
    }
  };
  if (v1 && c.swap !== undefined) {
    const big = (s: string) => (/^\d+$/.test(s) ? Number(s) : Infinity);
    const now = big(readFileSync(files.memory, 'utf8').trim());
    if (big(c.memory) > now) {
      put(files.swap, c.swap);
      put(files.memory, c.memory);
    } else {
      put(files.memory, c.memory);
      put(files.swap, c.swap);
    }
  } else {
    put(files.memory, c.memory);
    put(files.swap, c.swap);
  }
  put(files.pids, c.pids);
}

/** Bytes the parent's groups hold now (all of BuildKit's steps, page cache included). */
export function usageOf(dirs: CgroupDirs): number {
  const memory = dirs.controllers.memory;
  if (!memory) return 0;
  try {
    return Number(readFileSync(path.join(memory.dir, memory.version === 1 ? 'memory.usage_in_bytes' : 'memory.current'), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}
