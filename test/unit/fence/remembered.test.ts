import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineProcesses } from '../../../graders/fence/engine-processes.js';
import { forgetVerdict, rememberedVerdict, rememberVerdict, type WorkingVerdict } from '../../../graders/fence/remembered.js';
import { scratchCacheDir } from '../../helpers/cache-dir.js';

const dir = scratchCacheDir('stagecraft-test-probe-');

/** Whether an engine's process is in this machine's process list (the verdict is kept for one only). */
const engineRuns = () => engineProcesses().length > 0;

const verdict = (groupDir: string): WorkingVerdict => ({
  ok: true,
  inside: 'cgroup: 0::/',
  site: {
    parent: { controllers: { memory: { dir: groupDir, version: 2 }, pids: { dir: groupDir, version: 2 } } },
    leaf: { prefix: '', suffix: '' },
    execRoot: '/run/docker/runtime-runc/moby',
    mountinfo: '/proc/self/mountinfo',
    fsRoot: '',
    dataRoot: '/var/lib/docker',
  },
});

describe("the fence's probe, kept between graders", () => {
  it('is read back while the same engine runs and its groups are there, by its owner only; forgotten on request', async () => {
    await rememberVerdict(verdict(dir()));
    const file = path.join(dir(), 'fence-probe.json');
    if (!engineRuns()) {
      // No engine process in sight: nothing to key a verdict to, so nothing is kept.
      expect(await rememberedVerdict()).toBeUndefined();
      return;
    }
    expect(await rememberedVerdict()).toEqual(verdict(dir()));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await forgetVerdict();
    expect(await rememberedVerdict()).toBeUndefined();
  });

  it('is not used when the groups it names are gone, when it was kept for other engine processes, or when the file is damaged', async () => {
    const file = path.join(dir(), 'fence-probe.json');
    await rememberVerdict(verdict(path.join(dir(), 'no-such-group')));
    expect(await rememberedVerdict()).toBeUndefined();

    await rememberVerdict(verdict(dir()));
    const saved = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as { key?: string };
    await writeFile(file, JSON.stringify({ ...saved, key: 'another engine, or the same one restarted' }));
    expect(await rememberedVerdict()).toBeUndefined();

    await writeFile(file, '{"key": ');
    expect(await rememberedVerdict()).toBeUndefined();
  });
});
