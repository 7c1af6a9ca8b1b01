import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeSweep } from '../../../graders/cleanup/leftovers.js';
import { onInterrupt, runPendingCleanups } from '../../../graders/cleanup/on-interrupt.js';
import { makeTempFolder, tempFolderMaker } from '../../../graders/cleanup/temp-folder.js';

describe('cleanup on interrupt', () => {
  it('also runs cleanups registered while the others run', async () => {
    const ran: string[] = [];
    onInterrupt(async () => {
      ran.push('container');
      // A temp folder whose creation finished just as the signal came.
      onInterrupt(async () => ran.push('late folder'));
    });
    await runPendingCleanups();
    expect(ran).toEqual(['container', 'late folder']);
  });

  it('removes containers first, then the images they ran, then the rest (an image a container runs cannot be removed)', async () => {
    const ran: string[] = [];
    const slow = (what: string, ms: number) => async () => {
      await new Promise((r) => setTimeout(r, ms));
      ran.push(what);
    };
    onInterrupt(slow('folder', 0));
    onInterrupt(slow('image', 0), 'image');
    onInterrupt(slow('container', 30), 'running');
    await runPendingCleanups();
    expect(ran).toEqual(['container', 'image', 'folder']);
  });

  it('a temp folder is registered the moment it exists and released once removed', async () => {
    const folder = await makeTempFolder('grade');
    expect(tempFolderMaker(folder.dir.split('/').at(-1)!)).toBe(process.pid);
    await runPendingCleanups();
    expect(existsSync(folder.dir)).toBe(false);
    const other = await makeTempFolder('batch');
    await other.remove();
    expect(existsSync(other.dir)).toBe(false);
  });

  it.each([
    ['stagecraft-grade-123-AbC9xz', 123],
    ['stagecraft-batch-7-zzzzzz', 7],
    ['stagecraft-grade-AbC9xz', undefined], // made before folders carried their maker
    ['stagecraft-test-class-123-AbC9xz', undefined],
    ['stagecraft-grade-123-AbC9xz-extra', undefined],
    ['stagecraft-grade-123-AbC9xz.removing', 123], // a removal cut short
  ])('the maker of %s is %s', (name, pid) => {
    expect(tempFolderMaker(name)).toBe(pid);
  });
});

describe('the sweep line', () => {
  it.each([
    [{ containers: 0, images: 0, folders: 0, pids: [] }, ''],
    [{ containers: 0, images: 0, folders: 1, pids: [42] }, 'removed 1 temporary folder left by a grader that was stopped without cleaning up (pid 42)'],
    [
      { containers: 2, images: 1, folders: 3, pids: [42, 43] },
      'removed 2 containers, 1 image and 3 temporary folders left by graders that were stopped without cleaning up (pids 42, 43)',
    ],
  ])('%o', (swept, line) => {
    expect(describeSweep(swept)).toBe(line);
  });
});
