import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.js';
import { findLab, solutionDir } from '../../graders/lab.js';
import { RoomStore } from '../../graders/room/store.js';
import { MAX_BODY_BYTES } from '../../graders/room/limits.js';
import { runCli } from '../helpers/cli.js';
import { boardSnapshot, call, join, post, resultFor, roomScratch, startRoomProcess, studentAddress, type RoomProcess } from '../helpers/room.js';

/** The room's server and database for real: the command as the instructor runs it, students over HTTP and through the kit's CLI. */

const LAB1 = { id: 'lab1-go', checks: ['builds', 'multi-stage', 'size', 'no-toolchain', 'runs'] };
const REFUSED = 'FROM alpine:3.20\nADD https://example.com/tool /tool\n';
const HOSTILE = '<img src=x onerror="document.title=\'owned\'"><script>document.title="owned"</script>';

let scratch: { dir: string; remove(): Promise<void> };
let room: RoomProcess;
const kills: RoomProcess[] = [];
const roomFile = () => path.join(scratch.dir, 'instructor', 'room.sqlite');
const studentEnv = (name: string) => ({ STAGECRAFT_STATE_DIR: path.join(scratch.dir, name) });

beforeAll(async () => {
  scratch = await roomScratch();
  room = await startRoomProcess(roomFile(), {}, ['--stuck-minutes', '0.01']);
  kills.push(room);
});
afterAll(async () => {
  for (const r of kills) r.proc.kill('SIGKILL');
  await scratch.remove();
});

describe('a room', () => {
  it('refuses hostile requests with a clear 4xx, and they change nothing', async () => {
    const token = await join(room.url, room.code, 'mallory', studentAddress(1));
    const before = await boardSnapshot(room.url, room.key);
    const auth = { authorization: `Bearer ${token}` };
    const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] = [
      ['wrong schema', post(room.url, token, { lab: 'lab1-go', passed: 'yes' }), 400, /does not match the room's schema: passed: /],
      ['an extra field', post(room.url, token, { ...resultFor(LAB1, 5, 1), admin: true }), 400, /schema: the body: Unrecognized key: "admin"/],
      ['unknown lab', post(room.url, token, { ...resultFor(LAB1, 5, 1), lab: 'lab99' }), 422, /this room has no lab lab99; its labs are lab1-go, /],
      ["checks not the lab's", post(room.url, token, { ...resultFor(LAB1, 5, 1), checks: [{ id: 'builds', state: 'passed' }] }), 422, /are not lab1-go's/],
      ['a score that lies', post(room.url, token, { ...resultFor(LAB1, 2, 1), score: 5, passed: true }), 422, /do not agree with the checks sent/],
      ['huge body', call('POST', `${room.url}/api/results`, { raw: 'x'.repeat(MAX_BODY_BYTES + 1), headers: auth }), 413, /at most 196608 are accepted/],
      ['not JSON', call('POST', `${room.url}/api/results`, { raw: 'lab=1', headers: { ...auth, 'content-type': 'text/plain' } }), 415, /application\/json/],
      ['forged token', post(room.url, 'forged-token-forged-token', resultFor(LAB1, 5, 1)), 401, /does not know that token/],
      ['wrong room code', call('POST', `${room.url}/api/join`, { body: { code: 'WRONG1', name: 'eve' } }), 403, /not this room's code/],
      [
        'a name that is markup',
        call('POST', `${room.url}/api/join`, { body: { code: room.code, name: '<script>x</script>' } }),
        400,
        /a name is 1 to 32 letters/,
      ],
      ['a taken name', call('POST', `${room.url}/api/join`, { body: { code: room.code, name: 'MALLORY' } }), 409, /already called MALLORY/],
      ['a student verifying', call('POST', `${room.url}/api/verify`, { body: { student: 'mallory', lab: 'lab1' }, headers: auth }), 403, /only the instructor/],
      ['a student reading a Dockerfile', call('GET', `${room.url}/api/dockerfile?student=alice&lab=lab1`, { headers: auth }), 403, /only the instructor/],
      ['the instructor view without the key', call('GET', `${room.url}/instructor/events`), 403, /needs the instructor link/],
    ];
    for (const [what, reply, status, message] of cases) {
      const r = await reply;
      expect({ what, status: r.status }).toEqual({ what, status });
      expect(String(r.body.error)).toMatch(message);
    }
    expect(await boardSnapshot(room.url, room.key)).toEqual(before);

    // A flood from one student: a burst is taken, the rest refused (429) and not stored.
    // (A fresh student: every request with a token counts against it, refused ones too.)
    const flooder = await join(room.url, room.code, 'mallory2', studentAddress(1));
    const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => post(room.url, flooder, resultFor(LAB1, 1, 1000 + i), studentAddress(1))));
    const taken = flood.filter((r) => r.status === 201).length;
    expect(taken).toBeGreaterThanOrEqual(10);
    expect(taken).toBeLessThan(15);
    expect(flood.filter((r) => r.status === 429).every((r) => /too many results from mallory2/.test(String(r.body.error)))).toBe(true);
    expect((await boardSnapshot(room.url)).posts).toBe(before.posts + taken);
    // Forged tokens from one address: refused, then throttled.
    const forged = await Promise.all(Array.from({ length: 60 }, () => post(room.url, 'forged', resultFor(LAB1, 5, 1), studentAddress(2))));
    expect(new Set(forged.map((r) => r.status))).toEqual(new Set([401, 429]));
  });

  it('takes a student who joins with the kit: every grade posts, and never fails for the room', async () => {
    const env = studentEnv('alice');
    const joined = runCli(['room', 'join', room.joinLink, '--name', 'alice', '--share-dockerfile'], env);
    expect(joined.stderr).toBe('');
    expect(joined.stdout).toMatch(
      /^joined the room at http:\/\/127\.0\.0\.1:\d+ as alice: every `npm run grade` now posts its result there, with your Dockerfile\n$/,
    );
    const state = JSON.parse(await readFile(path.join(scratch.dir, 'alice', 'room.json'), 'utf8')) as { token: string };
    expect(state.token).toMatch(/^[\w-]{32}$/);

    const dockerfile = path.join(scratch.dir, 'alice.Dockerfile');
    await writeFile(dockerfile, REFUSED);
    const graded = runCli(['grade', 'lab1', '--dockerfile', dockerfile], env);
    expect(graded.status).toBe(1);
    expect(graded.stderr).toMatch(/^room: posted to http:\/\/127\.0\.0\.1:\d+ as alice \(with your Dockerfile\)$/m);
    const board = await boardSnapshot(room.url);
    expect(board.rows.find((r) => r.name === 'alice')!.cells['lab1-go']).toMatchObject({ score: 0, maxScore: 5, sizeText: 'no image' });
    const shared = await call('GET', `${room.url}/api/dockerfile?student=alice&lab=lab1`, { headers: { authorization: `Bearer ${room.key}` } });
    expect(shared.body.dockerfile).toBe(REFUSED);

    // The instructor regrades it on the room's machine: the same pipeline, the same verdict.
    const verified = runCli(['room', 'verify', 'alice', 'lab1', '--room-file', roomFile()]);
    expect(verified.stdout).toBe(
      "regraded alice's lab1-go on this machine: 0/5 checks passed, no image (failing: builds, multi-stage) — agrees with the result they posted (0/5)\n",
    );
    expect(verified.status).toBe(0);
    expect((await boardSnapshot(room.url)).rows.find((r) => r.name === 'alice')!.cells['lab1-go']).toMatchObject({ verified: 'agrees' });
  });

  it('regrades a shared Dockerfile for real, and marks a result its regrade contradicts', async () => {
    const token = await join(room.url, room.code, 'bob', studentAddress(3));
    const solution = await readFile(path.join(solutionDir(await findLab('lab1')), 'Dockerfile'), 'utf8');
    // Bob claims the solution fails: the room's own build says otherwise.
    expect((await post(room.url, token, { ...resultFor(LAB1, 4, 5_000_000), dockerfile: solution }, studentAddress(3))).status).toBe(201);
    const verified = runCli(['room', 'verify', 'bob', 'lab1-go', '--room-file', roomFile()]);
    expect(verified.stdout).toMatch(/^regraded bob's lab1-go on this machine: 5\/5 checks passed, [\d.]+ MB — differs from the result they posted \(4\/5\)\n$/);
    expect(verified.status).toBe(1);
    expect((await boardSnapshot(room.url)).rows.find((r) => r.name === 'bob')!.cells['lab1-go']).toMatchObject({ verified: 'differs' });
  });

  it('draws the board in a real browser, live, names and findings as text', async () => {
    const labs = [LAB1, { id: 'lab2-node', checks: ['builds', 'multi-stage', 'size', 'no-toolchain', 'runs', 'cache-friendly', 'no-caches'] }];
    const names = ['Ana', 'Bruno', 'Chen', 'Dara', 'Emeka', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kofi', 'Lena'];
    const tokens = await Promise.all(names.map((n, i) => join(room.url, room.code, n, studentAddress(10 + i))));
    await Promise.all(tokens.map((t, i) => post(room.url, t, resultFor(labs[0]!, i % 6, 4_000_000 + i * 3_100_000, HOSTILE), studentAddress(10 + i))));
    await Promise.all(
      tokens.slice(0, 6).map((t, i) => post(room.url, t, resultFor(labs[1]!, 4 + (i % 4), 60_000_000 + i * 9_000_000), studentAddress(10 + i))),
    );
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${room.url}/`);
      await page.waitForSelector('tbody tr');
      const rows = await page.$$eval('tbody td.name', (tds) => tds.map((td) => td.textContent));
      expect(rows).toEqual(expect.arrayContaining(['Ana', 'Lena', 'alice', 'bob']));
      expect(await page.textContent('#leaders')).toMatch(/1 go .*bob|1 go /);
      expect(await page.textContent('#failing')).toMatch(/\d+ runs 1 go/);
      // Everything fits the projector: no scroll bars.
      expect(await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight])).toEqual([1280, 720]);
      for (const box of ['#leaders', '#failing', 'tbody tr'])
        expect((await page.locator(box).first().boundingBox())!.x + (await page.locator(box).first().boundingBox())!.width).toBeLessThanOrEqual(1280);
      await page.screenshot({ path: path.join(scratch.dir, 'board.png') });
      await copyFile(path.join(scratch.dir, 'board.png'), '/tmp/stagecraft-room-board.png').catch(() => undefined);

      // Live: a new result is on the board within a second of being stored.
      const t0 = Date.now();
      expect((await post(room.url, tokens[0]!, resultFor(labs[1]!, 7, 31_400_000), studentAddress(10))).status).toBe(201);
      await page.waitForFunction(() => document.body.textContent!.includes('31.4 MB'), undefined, { timeout: 5000 });
      expect(Date.now() - t0).toBeLessThan(1000);

      // The instructor's view: the key leaves the address bar for a cookie; findings and who is stuck, as text.
      const mine = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      mine.on('pageerror', (e) => errors.push(e.message));
      await mine.goto(room.instructorUrl);
      expect(new URL(mine.url()).search).toBe('');
      await mine.waitForSelector('#stuck li');
      expect(await mine.textContent('#stuck')).toContain(HOSTILE);
      expect(await mine.title()).toBe('stagecraft room · instructor');
      expect(await mine.locator('#stuck img, #stuck script, tbody img').count()).toBe(0);
      await mine.screenshot({ path: path.join(scratch.dir, 'instructor.png') });
      await copyFile(path.join(scratch.dir, 'instructor.png'), '/tmp/stagecraft-room-instructor.png').catch(() => undefined);
      await mine.close();

      expect(errors).toEqual([]);
      expect(requests.every((u) => u.startsWith(room.url))).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it('exports the same gradebook as a batch', async () => {
    const out = path.join(scratch.dir, 'gradebook');
    const r = runCli(['room', 'export', '--room-file', roomFile(), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+ students, \d+ results; gradebook: .*gradebook\.html\n$/);
    const book = JSON.parse(await readFile(path.join(out, 'gradebook.json'), 'utf8')) as {
      labs: { id: string }[];
      students: { student: string; cells: Record<string, { status: string; result?: { score: number; notes: string[] } }> }[];
    };
    expect(book.labs.map((l) => l.id)).toEqual(['lab1-go', 'lab2-node']);
    const bob = book.students.find((s) => s.student === 'bob')!;
    expect(bob.cells['lab1-go']!.result).toMatchObject({ score: 5, notes: ["regraded on the room's machine from the Dockerfile the student shared"] });
    expect(book.students.find((s) => s.student === 'Ana')!.cells['lab1-go']!.result!.notes[0]).toMatch(/^self-reported by the student's kit 0\.1\.0/);
    const csv = await readFile(path.join(out, 'gradebook.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('student,lab1-go,lab1-go status,lab2-node,lab2-node status,total,max');
    expect(csv).toMatch(/^bob,5,passed,0,not submitted,5,12$/m);
  });

  it('never slows or fails a grade when the room is gone', async () => {
    room.proc.kill('SIGTERM');
    await new Promise((r) => room.proc.once('exit', r));
    const dockerfile = path.join(scratch.dir, 'alice.Dockerfile');
    const t0 = Date.now();
    const graded = runCli(['grade', 'lab1', '--dockerfile', dockerfile], studentEnv('alice'));
    expect(graded.status).toBe(1);
    expect(graded.stderr.split('\n').filter((l) => l.startsWith('room:'))).toEqual([
      expect.stringMatching(/^room: not posted: cannot reach the room at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): .* Your grade is not affected\.$/),
    ]);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});

describe('a room killed outright', () => {
  it('loses no acknowledged result: kill -9 mid-load, restart, all there', async () => {
    const file = path.join(scratch.dir, 'killed', 'room.sqlite');
    await mkdir(path.dirname(file), { recursive: true });
    const first = await startRoomProcess(file);
    kills.push(first);
    const students = 40;
    const tokens = await Promise.all(Array.from({ length: students }, (_, i) => join(first.url, first.code, `s${i}`, studentAddress(100 + i))));
    const acked: { student: string; imageSize: number }[] = [];
    let stop = false;
    let n = 0;
    const loops = tokens.map(async (token, i) => {
      while (!stop) {
        const imageSize = 1_000_000 + n++;
        const r = await post(first.url, token, resultFor(LAB1, n % 6, imageSize), studentAddress(100 + i)).catch(() => undefined);
        if (r?.status === 201) acked.push({ student: `s${i}`, imageSize });
        await new Promise((res) => setTimeout(res, 1100));
      }
    });
    await new Promise((r) => setTimeout(r, 3500));
    first.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(loops);
    expect(acked.length).toBeGreaterThanOrEqual(students * 2);

    const stored = new Set((await RoomStore.read(file)).posts().map((p) => `${p.student}:${p.imageSize}`));
    expect(acked.filter((a) => !stored.has(`${a.student}:${a.imageSize}`))).toEqual([]);

    const again = await startRoomProcess(file); // the killed room's lock is taken over
    kills.push(again);
    expect(again.code).toBe(first.code);
    expect(again.output()).toMatch(new RegExp(`— ${students} students, \\d+ results so far`));
    const board = await boardSnapshot(again.url);
    expect(board.rows).toHaveLength(students);
    expect(board.posts).toBeGreaterThanOrEqual(acked.length);
    again.proc.kill('SIGTERM');
  });
});
