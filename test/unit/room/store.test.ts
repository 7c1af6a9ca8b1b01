import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RoomStore } from '../../../graders/room/store.js';
import { resultFor, roomScratch } from '../../helpers/room.js';

const LAB = { id: 'lab1-go', checks: ['builds', 'multi-stage', 'size'] };
const open: RoomStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
const scratch: { remove(): Promise<void> }[] = [];
afterAll(() => Promise.all(scratch.map((s) => s.remove())));
async function roomFile() {
  const s = await roomScratch();
  scratch.push(s);
  return path.join(s.dir, 'room.sqlite');
}
async function opened(file: string) {
  const s = await RoomStore.open(file);
  open.push(s);
  return s;
}

describe('the room file', () => {
  it('is an SQLite database that holds every committed result across a reopen', async () => {
    const file = await roomFile();
    const store = await opened(file);
    const alice = store.addStudent('alice', 'h1')!;
    store.recordResult(alice, resultFor(LAB, 1, 100));
    store.recordResult(alice, resultFor(LAB, 3, 50));
    await store.commit();
    expect((await readFile(file)).subarray(0, 15).toString()).toBe('SQLite format 3');
    const again = await RoomStore.read(file);
    expect(again.posts().map((p) => p.imageSize)).toEqual([100, 50]);
    expect(again.cells()).toMatchObject([{ student: 'alice', score: 3, passed: true, imageSize: 50, stuck: null }]);
  });

  it('refuses a second room on the same file while the first runs', async () => {
    const file = await roomFile();
    await opened(file);
    await expect(RoomStore.open(file)).rejects.toThrow(/another room \(process \d+\) is using/);
  });

  it('takes over the lock of a room that was killed', async () => {
    const file = await roomFile();
    await writeFile(`${file}.lock`, '999999999');
    await expect(opened(file)).resolves.toBeInstanceOf(RoomStore);
  });

  it('refuses a file that is not a room file, in one line', async () => {
    const file = await roomFile();
    await writeFile(file, 'students,grades\n');
    await expect(RoomStore.open(file)).rejects.toThrow(`${file} is not a room file (not an SQLite database); choose another with --room-file`);
  });

  it('knows since when a student has failed on the same first check', async () => {
    const store = await opened(await roomFile());
    const bob = store.addStudent('bob', 'h2')!;
    store.recordResult(bob, resultFor(LAB, 1, 1), 1000);
    store.recordResult(bob, resultFor(LAB, 1, 2), 2000);
    expect(store.cells()[0]!.stuck).toEqual({ check: 'multi-stage', since: 1000 });
    store.recordResult(bob, resultFor(LAB, 2, 3), 3000); // on to the next check: no longer stuck on the first
    expect(store.cells()[0]!.stuck).toEqual({ check: 'size', since: 3000 });
    store.recordResult(bob, resultFor(LAB, 3, 3), 4000);
    expect(store.cells()[0]!.stuck).toBeNull();
  });

  it('treats names without case: Alice cannot join beside alice', async () => {
    const store = await opened(await roomFile());
    expect(store.addStudent('alice', 'a')).toBeDefined();
    expect(store.addStudent('Alice', 'b')).toBeUndefined();
  });

  it('writes many changes made together in few writes, each acknowledged once on disk', async () => {
    const file = await roomFile();
    const store = await opened(file);
    const s = store.addStudent('carol', 'h')!;
    const acks = Array.from({ length: 50 }, (_, i) => {
      store.recordResult(s, resultFor(LAB, 1, i));
      return store.commit().then(async () => (await RoomStore.read(file)).posts().length);
    });
    const seen = await Promise.all(acks);
    seen.forEach((n, i) => expect(n).toBeGreaterThanOrEqual(i + 1));
  });
});
