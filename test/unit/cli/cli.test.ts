import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../../bin/stagecraft.mjs');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

describe('CLI argument errors: exit 2, one line, no stack trace', () => {
  it.each([
    [['grade', 'lab99'], /^error: unknown lab "lab99"; the labs are: lab1 \(lab1-go\)/],
    [['grade'], /missing required argument 'lab'/],
    [['grade', 'lab1', '--frobnicate'], /unknown option '--frobnicate'/],
    [['grade', 'lab1', '--solution', '--dockerfile', 'x'], /^error: use --solution or --dockerfile, not both$/],
    [['grade', 'lab1', '--dockerfile', '/no/such/Dockerfile'], /^error: no Dockerfile at .*no\/such\/Dockerfile$/],
    [['grade', 'lab1', '--build-timeout', 'soon'], /give a number of seconds above 0/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('says how to start Docker when no engine answers', () => {
    const r = cli(['grade', 'lab1', '--json'], { DOCKER_HOST: 'unix:///tmp/stagecraft-no-engine.sock' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no Docker engine answers at unix:\/\/\/tmp\/stagecraft-no-engine.sock .*start Docker/);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('prints help with exit 0', () => {
    const r = cli(['grade', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--dockerfile <path>');
  });

  it('a grade that cannot start asks the engine nothing (a busy engine does not keep its error waiting)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stagecraft-cli-engine-'));
    const socket = path.join(dir, 'docker.sock');
    const asked: string[] = [];
    const engine = createServer((req, res) => (asked.push(req.url ?? ''), res.end('OK')));
    await new Promise<void>((resolve) => engine.listen(socket, resolve));
    try {
      const child = spawn(process.execPath, [BIN, 'grade', 'lab1', '--dockerfile', '/no/such/Dockerfile'], {
        env: { ...process.env, DOCKER_HOST: `unix://${socket}`, NO_COLOR: '1' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect({ code, stderr: stderr.trim(), asked }).toEqual({ code: 2, stderr: expect.stringMatching(/^error: no Dockerfile at /), asked: [] });
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
