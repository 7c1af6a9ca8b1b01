import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const NO_ENGINE = { DOCKER_HOST: 'unix:///tmp/stagecraft-no-engine.sock' };

describe('explain: bad input gets one line and exit 2, never a stack trace', () => {
  it.each([
    [['explain'], {}, /^error: name an image \(`stagecraft explain node:20-trixie-slim`\) or a Dockerfile to build/],
    [['explain', '--dockerfile', '/no/such/Dockerfile'], {}, /^error: no Dockerfile at \/no\/such\/Dockerfile$/],
    [['explain', '--dockerfile', 'README.md', '/no/such/context'], {}, /^error: no build context folder at \/no\/such\/context$/],
    [
      ['explain', 'golang:1.24-trixie', '--html', '/no/such/folder/page.html'],
      {},
      /^error: cannot write the page \/no\/such\/folder\/page\.html: there is no folder \/no\/such\/folder$/,
    ],
    [
      ['explain', 'golang:1.24-trixie', '--html', 'README.md'],
      {},
      /^error: README\.md exists and is not a page stagecraft wrote: give --html another file name$/,
    ],
    [['explain', 'golang:1.24-trixie'], NO_ENGINE, /^error: no Docker engine answers at unix:\/\/\/tmp\/stagecraft-no-engine\.sock .*start Docker/],
    [['explain', '--dockerfile', 'labs/lab1-go/Dockerfile'], NO_ENGINE, /^error: no Docker engine answers at /],
    [['grade', 'lab1', '--html', 'README.md'], {}, /^error: README\.md exists and is not a page stagecraft wrote/],
  ])('%j', (args, env, message) => {
    const r = runCli(args as string[], env as NodeJS.ProcessEnv, 60_000);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message as RegExp);
    expect(r.stdout).toBe('');
  });

  it('explain --help names the JSON and the page', () => {
    const r = runCli(['explain', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--dockerfile <path>');
    expect(r.stdout).toContain('--html <file>');
  });
});
