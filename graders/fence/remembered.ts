import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kitCacheDir } from '../kit/locations.js';
import { engineProcesses, type ProbeVerdict } from './probe.js';

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

/** The engine's processes as this machine sees them now, and who asks: what the verdict holds for. */
async function engineKey(): Promise<string> {
  const engines = engineProcesses();
  if (engines.length === 0) return '';
  const boot = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '');
  return createHash('sha256')
    .update([boot.trim(), process.env.DOCKER_HOST ?? '', String(process.geteuid?.()), ...engines.sort()].join('\n'))
    .digest('hex');
}

/** The verdict an earlier grader kept for this engine, if it still holds. */
export async function rememberedVerdict(): Promise<WorkingVerdict | undefined> {
  try {
    const saved = JSON.parse(await readFile(file(), 'utf8')) as { key: string; verdict: WorkingVerdict };
    const key = await engineKey();
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
    const key = await engineKey();
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
