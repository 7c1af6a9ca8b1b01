import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareContext } from '../../../graders/prepare/context.js';
import { lineEndingNote, toLf } from '../../../graders/prepare/line-endings.js';
import { tempFolder } from '../../helpers/folder.js';

describe('a lab checked out with Windows line endings', () => {
  it("is graded from LF copies, with a note; the student's files stay as they are", async () => {
    const lab = await tempFolder({
      'main.go': 'package main\r\n\r\nfunc main() {}\r\n',
      Makefile: 'X := $(shell echo hi)\r\nall:\r\n\techo $(X)\r\n',
      'run.sh': '#!/bin/sh\r\necho ok\r\n',
      'lf.txt': 'already LF\n',
      'stamp.txt': 'placeholder\r\n',
    });
    const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x0d, 0x0a]);
    await writeFile(path.join(lab, 'logo.png'), binary);
    const dockerfile = path.join(await tempFolder({ Dockerfile: 'FROM scratch\r\nCOPY main.go /\r\n' }), 'Dockerfile');
    const ctx = await prepareContext({ labDir: lab, dockerfile, stampFile: 'stamp.txt' });
    try {
      for (const f of ['main.go', 'Makefile', 'run.sh', 'Dockerfile']) expect(await readFile(path.join(ctx.dir, f), 'utf8'), f).not.toContain('\r');
      expect(await readFile(path.join(ctx.dir, 'Makefile'), 'utf8')).toBe('X := $(shell echo hi)\nall:\n\techo $(X)\n');
      expect(ctx.dockerfileBytes.toString()).toBe('FROM scratch\nCOPY main.go /\n');
      expect(await readFile(path.join(ctx.dir, 'logo.png'))).toEqual(binary); // binary: untouched
      expect(ctx.note).toContain(
        `5 files have Windows line endings (CRLF): ${dockerfile}, ${path.join(lab, 'Makefile')}, ${path.join(lab, 'main.go')} and 2 more; the grade used LF copies (your files are unchanged).`,
      );
      // Outside a git checkout, git cannot fix them (issue 21): saving them with LF does.
      expect(ctx.note).toMatch(/ To fix them: save them with LF line endings \(your editor's line-ending setting, or `sed -i 's\/\\r\$\/\/' <file>`\)$/);
      expect(ctx.note).not.toContain('git add');
      // Nothing the student made is touched.
      expect(await readFile(path.join(lab, 'Makefile'), 'utf8')).toContain('\r\n');
      expect(await readFile(dockerfile, 'utf8')).toContain('\r\n');
    } finally {
      await ctx.remove();
    }
  });

  it('a lab with LF endings gets no note', async () => {
    const lab = await tempFolder({ 'main.go': 'package main\n', 'stamp.txt': 'x\n' });
    const dockerfile = path.join(await tempFolder({ Dockerfile: 'FROM scratch\n' }), 'Dockerfile');
    const ctx = await prepareContext({ labDir: lab, dockerfile, stampFile: 'stamp.txt' });
    expect(ctx.note).toBeUndefined();
    await ctx.remove();
  });

  it('toLf leaves binary and LF-only bytes alone, keeps every other byte', () => {
    expect(toLf(Buffer.from('a\nb\n'))).toBeUndefined();
    expect(toLf(Buffer.from([0x61, 0x0d, 0x0a, 0x00]))).toBeUndefined();
    expect(toLf(Buffer.from([0xff, 0x0d, 0x0a, 0xfe]))).toEqual(Buffer.from([0xff, 0x0a, 0xfe]));
    expect(lineEndingNote([{ shown: 'labs/lab1-go/Dockerfile', inCheckout: true }])).toBe(
      "1 file has Windows line endings (CRLF): labs/lab1-go/Dockerfile; the grade used LF copies (your files are unchanged). To fix your checkout: `git add --renormalize . && git checkout -- .` (the kit's .gitattributes keeps LF)",
    );
    expect(
      lineEndingNote([
        { shown: 'labs/lab1-go/main.go', inCheckout: true },
        { shown: '/tmp/try.Dockerfile', inCheckout: false },
      ]),
    ).toMatch(
      /To fix your checkout: `git add --renormalize .*; to fix \/tmp\/try\.Dockerfile: save it with LF line endings \(.*`sed -i 's\/\\r\$\/\/' \/tmp\/try\.Dockerfile`\)$/,
    );
  });
});
