import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUILD_LIMITS, DEFAULT_BUILD_TIMEOUT_MS, type BuildLimits } from '../../../graders/fence/limits.js';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { gradeLimits, LIMIT_SETTINGS, limitsTable, parseLimit, showValue } from '../../../graders/pipeline/limits.js';
import { DEFAULT_RUN_LIMITS, type RunLimits } from '../../../graders/run/limits.js';

/** Every setting at its default, through the table's own setters. */
const defaults = gradeLimits(Object.fromEntries(LIMIT_SETTINGS.map((s) => [s.flag, s.value])));

describe('the table of limits', () => {
  it('holds every build and run limit, each once, with the defaults the stages use', () => {
    expect(Object.keys(defaults.buildLimits!).sort()).toEqual(Object.keys(DEFAULT_BUILD_LIMITS).sort());
    expect(Object.keys(defaults.runLimits!).sort()).toEqual(Object.keys(DEFAULT_RUN_LIMITS).sort());
    expect(defaults.buildLimits).toEqual(DEFAULT_BUILD_LIMITS satisfies BuildLimits);
    expect(defaults.runLimits).toEqual(DEFAULT_RUN_LIMITS satisfies RunLimits);
    expect(defaults.buildTimeoutMs).toBe(DEFAULT_BUILD_TIMEOUT_MS);
    expect(new Set(LIMIT_SETTINGS.map((s) => s.flag)).size).toBe(LIMIT_SETTINGS.length);
  });

  it("turns flags into one settings object, in the stages' units; only what was given", () => {
    expect(gradeLimits({ 'run-memory': 96 * 2 ** 20, 'startup-timeout': 4, 'build-timeout': 90, 'build-pids': 64 })).toEqual({
      runLimits: { memoryBytes: 96 * 2 ** 20, startupTimeoutMs: 4000 },
      buildTimeoutMs: 90_000,
      buildLimits: { pids: 64 },
    });
    expect(gradeLimits({})).toEqual({});
    expect(gradeLimits({ 'run-memory': 2 ** 30, 'build-memory': 2 ** 30 }, 'build')).toEqual({ buildLimits: { memoryBytes: 2 ** 30 } });
  });

  it.each([
    ['memory', '1536m', 1536 * 2 ** 20],
    ['bytes', '4GB', 4e9],
    ['seconds', '2.5', 2.5],
    ['cpus', '0.5', 0.5],
    ['count', '48', 48],
  ] as const)('reads a %s flag: %j', (unit, text, value) => expect(parseLimit(unit, text)).toEqual({ value }));

  it.each([
    ['memory', 'lots', 'give a size such as 2g, 1536m or 4GB'],
    ['seconds', '0', 'give a number of seconds above 0'],
    ['cpus', '0.01', 'give a number of CPUs of 0.1 or more'],
    ['count', '2.5', 'give a whole number of 1 or more'],
  ] as const)('refuses a %s flag of %j, saying what to give', (unit, text, error) => expect(parseLimit(unit, text)).toEqual({ error }));

  it("is README's table of limits, word for word", async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const copy = /<!-- limits table: begin -->\n([\s\S]*?)\n<!-- limits table: end -->/.exec(readme)?.[1];
    expect(copy, 'README.md has no "limits table" markers').toBeDefined();
    expect(copy, "README's table of limits differs from graders/pipeline/limits.ts: paste limitsTable()'s output between the markers").toBe(limitsTable());
  });

  it("agrees with the fence's own table (graders/fence/README.md) on every default it names", async () => {
    const text = await readFile(path.join(REPO_ROOT, 'graders', 'fence', 'README.md'), 'utf8');
    const rows = text
      .split('\n')
      .filter((l) => /^\| .*`--[a-z-]+`/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const squeeze = (t: string) => t.replace(/\s/g, '');
    for (const [, , , shown, flags] of rows) {
      for (const flag of flags!.match(/--[a-z-]+/g)!) {
        const setting = LIMIT_SETTINGS.find((s) => `--${s.flag}` === flag);
        expect(setting, `${flag} is not in the table of limits`).toBeDefined();
        if (setting!.value !== undefined && !setting!.words) expect(squeeze(shown!), flag).toContain(squeeze(showValue(setting!.unit, setting!.value)));
      }
    }
  });

  it('gives every command that grades or builds its flags, with the defaults in --help', () => {
    const help = (command: string) =>
      spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'stagecraft.mjs'), command, '--help'], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      }).stdout.replace(/\s+/g, ' ');
    const [grade, batch, explain] = ['grade', 'batch', 'explain'].map(help);
    for (const s of LIMIT_SETTINGS) {
      const shown = `(default: ${s.value === undefined || s.words ? (s.words ?? '') : showValue(s.unit, s.value)}`;
      for (const page of [grade!, batch!]) expect(page).toContain(`--${s.flag} <`);
      expect(grade).toContain(s.words ? `--${s.flag} <` : shown);
      if (s.stage === 'build') expect(explain).toContain(`--${s.flag} <`);
      else expect(explain).not.toContain(`--${s.flag} <`);
    }
  });
});
