import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The command runs compiled JavaScript (dist/graders/), and never stale code: a copy of the
 * kit, so the real build is not touched, with the real node_modules.
 */
describe('the compiled command', () => {
  let kit: string;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(kit, 'bin', 'stagecraft.mjs'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
  };

  beforeAll(async () => {
    kit = await mkdtemp(path.join(tmpdir(), 'stagecraft-test-kit-'));
    for (const part of ['bin', 'graders', 'package.json']) await cp(path.join(ROOT, part), path.join(kit, part), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules'), path.join(kit, 'node_modules'));
  });
  afterAll(() => rm(kit, { recursive: true, force: true }));

  it('compiles the graders on first use, says so in one line, then starts without compiling', () => {
    const first = run(['--help']);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^stagecraft: no build yet; compiled the graders \([\d.]+ s\)$/);
    expect(first.stdout).toContain('grade Docker multi-stage build labs');
    const second = run(['--help']);
    expect(second).toMatchObject({ code: 0, stderr: '' });
  });

  it('a grader edited after the build runs as edited, never stale', async () => {
    run(['--help']);
    const main = path.join(kit, 'graders', 'cli', 'main.ts');
    const text = await readFile(main, 'utf8');
    await new Promise((r) => setTimeout(r, 20)); // a newer mtime than the build's
    await writeFile(main, text.replace('grade Docker multi-stage build labs', 'grade Docker labs (edited)'));
    const edited = run(['--help']);
    expect(edited.stderr).toMatch(/^stagecraft: graders\/cli\/main\.ts changed since the last build; compiled the graders/);
    expect(edited.stdout).toContain('grade Docker labs (edited)');
  });

  it('a grader that does not compile: one line naming the file and line, exit 2', async () => {
    const broken = path.join(kit, 'graders', 'format', 'broken.ts');
    await writeFile(broken, 'export const x = ;\n');
    try {
      const r = run(['--help']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^stagecraft: could not compile the graders: graders\/format\/broken\.ts:1: /);
      expect(r.stderr.split('\n')).toHaveLength(1);
    } finally {
      await rm(broken);
    }
  });
});
