import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { journalOf, RoomStore, SNAPSHOT_MS } from '../../../graders/room/store.js';
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

  it('writes many changes made together in few writes, each acknowledged once the journal holds it', async () => {
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

  it('acknowledges a change once its line is in the journal, and a room killed before any snapshot still has it', async () => {
    const file = await roomFile();
    const store = await opened(file);
    const dan = store.addStudent('dan', 'h')!;
    const before = (await readFile(file)).length;
    store.recordResult(dan, resultFor(LAB, 2, 42));
    await store.commit();
    expect((await readFile(file)).length).toBe(before); // the room file was not rewritten for it
    expect(await readFile(journalOf(file), 'utf8')).toContain('"imageSize":42');
    // Read as `room export` or a restarted room does, without the running room closing first.
    expect((await RoomStore.read(file)).posts()).toMatchObject([{ student: 'dan', imageSize: 42, score: 2 }]);
  });

  it('puts everything in the room file when it closes, and empties the journal', async () => {
    const file = await roomFile();
    const store = await RoomStore.open(file);
    const eve = store.addStudent('eve', 'h')!;
    store.recordResult(eve, resultFor(LAB, 3, 7));
    await store.close();
    expect(await readFile(journalOf(file), 'utf8')).toBe('');
    expect((await RoomStore.read(file)).cells()).toMatchObject([{ student: 'eve', imageSize: 7, passed: true }]);
  });

  /** A room stopped between a snapshot and the journal's rewrite: the snapshot holds these results, and the journal still lists them. */
  async function stoppedBeforeTheRewrite(name: string, sizes: number[]): Promise<string> {
    const file = await roomFile();
    const store = await RoomStore.open(file);
    const student = store.addStudent(name, 'h')!;
    for (const size of sizes) store.recordResult(student, resultFor(LAB, 1, size));
    await store.commit();
    const journal = await readFile(journalOf(file), 'utf8');
    await store.close();
    await writeFile(journalOf(file), journal);
    return file;
  }

  it("counts no change twice when the room stopped between a snapshot and the journal's rewrite", async () => {
    const file = await stoppedBeforeTheRewrite('fay', [1, 2, 3]);
    expect((await RoomStore.read(file)).posts().map((p) => p.imageSize)).toEqual([1, 2, 3]);
    const reopened = await opened(file);
    expect(reopened.posts().map((p) => p.imageSize)).toEqual([1, 2, 3]);
  });

  it('leaves out a last line cut short, and a reopened room writes after a clean journal', async () => {
    const file = await stoppedBeforeTheRewrite('gus', [10]);
    await appendFile(journalOf(file), '{"seq":99,"change":{"op":"res'); // killed while writing this line
    const reopened = await opened(file);
    expect(reopened.posts().map((p) => p.imageSize)).toEqual([10]);
    expect(await readFile(journalOf(file), 'utf8')).toBe('');
    reopened.recordResult(reopened.studentBy('name', 'gus')!, resultFor(LAB, 2, 11));
    await reopened.commit();
    expect((await RoomStore.read(file)).posts().map((p) => p.imageSize)).toEqual([10, 11]);
  });

  it('refuses a journal damaged before its last line, in one line', async () => {
    const file = await roomFile();
    const store = await RoomStore.open(file);
    store.addStudent('hal', 'h');
    await store.close();
    await writeFile(journalOf(file), 'not json\n{"seq":5,"change":{"op":"leave","id":1}}\n');
    await expect(RoomStore.open(file)).rejects.toThrow(
      `the room's journal ${journalOf(file)} is damaged at line 1; move it away to open the room as it was at its last snapshot`,
    );
  });

  it('replays joins, leaves, settings and regrades as they were made', async () => {
    const file = await roomFile();
    const store = await opened(file);
    store.setSetting('code', 'ABC123');
    const ida = store.addStudent('ida', 'h1')!;
    const jon = store.addStudent('jon', 'h2')!;
    store.recordResult(ida, resultFor(LAB, 3, 5), 1000);
    store.recordResult(jon, resultFor(LAB, 1, 6), 1000);
    store.removeStudent(ida.id);
    const kim = store.addStudent('kim', 'h3')!;
    store.recordResult(kim, resultFor(LAB, 2, 8), 2000);
    expect(store.setVerified(kim, LAB.id, 2000, { at: 3000, kind: 'could-not-grade', reason: 'no engine' })).toBe(true);
    expect(store.setVerified(kim, LAB.id, 1, { at: 3000, kind: 'could-not-grade', reason: 'stale' })).toBe(false);
    await store.commit();
    const again = await RoomStore.read(file);
    expect(again.setting('code')).toBe('ABC123');
    expect(again.students().map((s) => [s.id, s.name])).toEqual(store.students().map((s) => [s.id, s.name]));
    expect(again.cells()).toEqual(store.cells());
    expect(again.posts()).toEqual(store.posts());
  });

  it('takes a snapshot while results arrive, after which the journal keeps only the later ones', async () => {
    const file = await roomFile();
    const store = await opened(file);
    const lee = store.addStudent('lee', 'h')!;
    store.recordResult(lee, resultFor(LAB, 1, 301));
    await store.commit();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + SNAPSHOT_MS);
      store.recordResult(lee, resultFor(LAB, 2, 302));
      await store.commit();
    } finally {
      vi.useRealTimers();
    }
    await vi.waitFor(async () => expect(await readFile(journalOf(file), 'utf8')).not.toContain('"imageSize":301'));
    expect((await RoomStore.read(file)).posts().map((p) => p.imageSize)).toEqual([301, 302]);
  });
});
