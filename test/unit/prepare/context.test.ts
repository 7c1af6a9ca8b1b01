import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, symlink, lstat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextEntries, packContext } from '../../../graders/buildkit/context.js';
import { prepareContext } from '../../../graders/prepare/context.js';
import { scanLayer } from '../../../graders/inspect/layers.js';
import { stampValue, withStampFunction } from '../../../graders/run/stamp.js';
import { tempFolder } from '../../helpers/folder.js';

const folder = (files: Record<string, string>) => tempFolder(files);

async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const e of (await readdir(dir, { recursive: true, withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(e.parentPath, e.name);
    h.update(full);
    if (e.isFile()) h.update(await readFile(full));
  }
  return h.digest('hex');
}

describe('build context', () => {
  it('applies .dockerignore like the Docker CLI but always sends the Dockerfile and .dockerignore', async () => {
    const dir = await folder({
      Dockerfile: 'FROM scratch',
      '.dockerignore': '*\n!main.go\n',
      'main.go': 'x',
      'README.md': 'x',
      '.env': 'SECRET=1',
      'sub/a.go': 'x',
    });
    expect(await contextEntries(dir)).toEqual(['.dockerignore', 'Dockerfile', 'main.go']);
  });

  it('sends empty folders, as the CLI does, unless ignored', async () => {
    const dir = await folder({ Dockerfile: 'FROM scratch', '.dockerignore': 'skip/\n', 'repo/.git/HEAD': 'ref: refs/heads/main\n' });
    for (const empty of ['repo/.git/objects', 'repo/.git/refs/heads', 'skip']) await mkdir(path.join(dir, empty), { recursive: true });
    expect(await contextEntries(dir)).toEqual(['.dockerignore', 'Dockerfile', 'repo/.git/HEAD', 'repo/.git/objects', 'repo/.git/refs/heads']);
    const layer = await scanLayer(await packContext(dir), 0);
    expect(layer.files.filter((f) => f.type === 'directory').map((f) => f.path)).toEqual(expect.arrayContaining(['repo/.git/objects', 'repo/.git/refs/heads']));
  });

  it('sends a symlink as a link, never the host file it points to', async () => {
    const dir = await folder({ Dockerfile: 'FROM scratch' });
    await symlink('/etc/passwd', path.join(dir, 'passwd'));
    const tar = await packContext(dir);
    const layer = await scanLayer(tar, 0);
    expect(layer.files.find((f) => f.path === 'passwd')).toMatchObject({ type: 'symlink', size: 0 });
  });
});

describe('prepareContext', () => {
  it('copies the lab, puts the Dockerfile under test in it, stamps a nonce, and leaves the lab untouched', async () => {
    const lab = await folder({ Dockerfile: 'FROM starter', 'main.go': 'package main', 'stamp.txt': 'unstamped\n' });
    const submitted = await folder({ 'my.Dockerfile': 'FROM mine' });
    const before = await treeHash(lab);
    const ctx = await prepareContext({ labDir: lab, dockerfile: path.join(submitted, 'my.Dockerfile'), stampFile: 'stamp.txt' });
    expect(await readFile(path.join(ctx.dir, 'Dockerfile'), 'utf8')).toBe('FROM mine');
    expect((await readFile(path.join(ctx.dir, 'stamp.txt'), 'utf8')).trim()).toBe(ctx.nonce);
    expect(ctx.nonce).toMatch(/^[0-9a-f]{24}$/);
    const second = await prepareContext({ labDir: lab, dockerfile: path.join(lab, 'Dockerfile'), stampFile: 'stamp.txt' });
    expect(second.nonce).not.toBe(ctx.nonce);
    await ctx.remove();
    await second.remove();
    expect(await treeHash(lab)).toBe(before);
    await expect(lstat(ctx.dir)).rejects.toThrow();
  });

  it('replaces a stamp file that is a symlink instead of writing through it', async () => {
    const victim = await folder({ 'precious.txt': 'keep me' });
    const lab = await folder({ Dockerfile: 'FROM x' });
    await symlink(path.join(victim, 'precious.txt'), path.join(lab, 'stamp.txt'));
    const ctx = await prepareContext({ labDir: lab, dockerfile: path.join(lab, 'Dockerfile'), stampFile: 'stamp.txt' });
    expect(await readFile(path.join(victim, 'precious.txt'), 'utf8')).toBe('keep me');
    expect((await lstat(path.join(ctx.dir, 'stamp.txt'))).isSymbolicLink()).toBe(false);
    await ctx.remove();
  });

  it("adds a lab's context files and folders where the lab has none, never outside the copy", async () => {
    const lab = await folder({ Dockerfile: 'FROM x', '.git/HEAD': 'mine\n' });
    const ctx = await prepareContext({
      labDir: lab,
      dockerfile: path.join(lab, 'Dockerfile'),
      stampFile: 'stamp.txt',
      extraFiles: { '.git/HEAD': 'theirs\n', '.git/config': '[core]\n', '.git/objects/': '', '../escape.txt': 'no' },
    });
    expect(await readFile(path.join(ctx.dir, '.git/HEAD'), 'utf8')).toBe('mine\n');
    expect(await readFile(path.join(ctx.dir, '.git/config'), 'utf8')).toBe('[core]\n');
    expect((await lstat(path.join(ctx.dir, '.git/objects'))).isDirectory()).toBe(true);
    await expect(lstat(path.join(ctx.dir, '..', 'escape.txt'))).rejects.toThrow();
    await ctx.remove();
  });

  it('says which Dockerfile is missing, in one line', async () => {
    const lab = await folder({});
    await expect(prepareContext({ labDir: lab, dockerfile: '/nope/Dockerfile', stampFile: 's' })).rejects.toThrow(/^no Dockerfile at .*nope\/Dockerfile$/);
  });
});

describe("prepareContext: the app's stamp function", () => {
  const MAIN = ['package main', '', '// >>> stamp function', 'func stampOf(x uint32) uint32 {', '\treturn x', '}', '// <<< stamp function', ''].join('\n');

  it('writes a new function between the markers of the copy, a different one each grade, and leaves the lab untouched', async () => {
    const lab = await folder({ Dockerfile: 'FROM x', 'main.go': MAIN, 'stamp.txt': 'unstamped\n' });
    const req = { labDir: lab, dockerfile: path.join(lab, 'Dockerfile'), stampFile: 'stamp.txt', stampCode: { file: 'main.go', language: 'go' as const } };
    const [a, b] = [await prepareContext(req), await prepareContext(req)];
    const copied = await readFile(path.join(a.dir, 'main.go'), 'utf8');
    expect(copied).toBe(withStampFunction(MAIN, a.stampFunction!, 'go'));
    expect(copied.split('\n')).toHaveLength(MAIN.split('\n').length + 6); // six steps
    expect(stampValue(a.stampFunction!, 12345)).not.toBe(stampValue(b.stampFunction!, 12345));
    expect(await readFile(path.join(lab, 'main.go'), 'utf8')).toBe(MAIN);
    await a.remove();
    await b.remove();
  });

  it('cannot grade, in one line that says how to mend it, when the source has lost its markers', async () => {
    const lab = await folder({ Dockerfile: 'FROM x', 'main.go': 'package main\n' });
    const req = { labDir: lab, dockerfile: path.join(lab, 'Dockerfile'), stampFile: 'stamp.txt', stampCode: { file: 'main.go', language: 'go' as const } };
    await expect(prepareContext(req)).rejects.toThrow(
      /^.*main\.go must be a file with its stamp function between the lines "\/\/ >>> stamp function" and "\/\/ <<< stamp function" .*git checkout -- .*main\.go\)$/,
    );
  });

  it('replaces a source that is a symlink instead of writing through it', async () => {
    const victim = await folder({ 'main.go': MAIN });
    const lab = await folder({ Dockerfile: 'FROM x' });
    await symlink(path.join(victim, 'main.go'), path.join(lab, 'main.go'));
    const req = { labDir: lab, dockerfile: path.join(lab, 'Dockerfile'), stampFile: 'stamp.txt', stampCode: { file: 'main.go', language: 'go' as const } };
    // A link is not the kit's source: it is refused, and what it points at is never written.
    await expect(prepareContext(req)).rejects.toThrow(/main\.go must be a file with its stamp function/);
    expect(await readFile(path.join(victim, 'main.go'), 'utf8')).toBe(MAIN);
  });
});
