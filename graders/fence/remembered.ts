import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kitCacheDir } from '../kit/locations.js';
import { engineProcesses } from './engine-processes.js';
import type { ProbeVerdict } from './probe.js';

/**
 * The probe's verdict, kept between processes. A grade is a process of its own (`--watch`
 * starts one per save), and the probe is a build: about a second, on the path to every
 * verdict, to learn what does not change while the same engine runs. Kept only when the
 * fence worked; used only in this boot, for the same engine address and user, while the
 * same engine processes run (each one's pid and start time), and while the groups it names
 * are still there; forgotten as soon as a grade finds it wrong. Anything else probes again.
 */
export type WorkingVerdict = Extract<ProbeVerdict, { ok: true }>;

const file = () => path.join(kitCacheDir(), 'fence-probe.json');

/** A small file's text, read at once: '' when there is none. */
function readNow(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The engine's processes as this machine sees them now, and who asks: what the verdict holds for.
 * Its files are read at once, not queued behind the context's copy in Node's file threads
 * (the fence, which waits for this verdict, was then the last thing the build waited for: 50 ms).
 */
function engineKey(): string {
  const engines = engineProcesses();
  if (engines.length === 0) return '';
  const boot = readNow('/proc/sys/kernel/random/boot_id');
  return createHash('sha256')
    .update([boot.trim(), process.env.DOCKER_HOST ?? '', String(process.geteuid?.()), ...engines.sort()].join('\n'))
    .digest('hex');
}

/** The verdict an earlier grader kept for this engine, if it still holds. */
export function rememberedVerdict(): WorkingVerdict | undefined {
  try {
    const saved = JSON.parse(readNow(file())) as { key: string; verdict: WorkingVerdict };
    const key = engineKey();
    if (!key || saved.key !== key || !saved.verdict?.ok) return undefined;
    const { site } = saved.verdict;
    const dirs = Object.values(site.parent.controllers).map((c) => c.dir);
    if (dirs.length === 0 || !dirs.every((d) => existsSync(d)) || !existsSync(site.mountinfo)) return undefined;
    return saved.verdict;
  } catch {
    return undefined;
  }
}

/** Keep a working verdict for the graders that come after this one (never throws: it is only time saved). */
export async function rememberVerdict(verdict: WorkingVerdict): Promise<void> {
  try {
    const key = engineKey();
    if (!key) return;
    await mkdir(kitCacheDir(), { recursive: true });
    const fresh = `${file()}.${process.pid}`;
    await writeFile(fresh, JSON.stringify({ key, verdict }), { mode: 0o600 });
    await rename(fresh, file());
  } catch {
    // Not kept: the next grader probes.
  }
}

/** A grade found the kept verdict wrong: the next grader probes. */
export async function forgetVerdict(): Promise<void> {
  await rm(file(), { force: true }).catch(() => undefined);
}
