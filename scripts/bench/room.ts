/**
 * `npm run bench`'s room section (also `tsx scripts/bench/room.ts` alone) — figures:
 * `stagecraft room` on loopback with 200 simulated students, each from an address of its
 * own (127.0.x.y), posting a result every 2 s for a minute (BENCH_ROOM_SECONDS), while one
 * board view follows by server-sent events. Reported: results acknowledged and stored, the
 * time to acknowledge (on disk), the board's latency (post sent → on the board), and the
 * server's memory (resident, sampled each second, and its peak).
 */
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes } from '../../graders/format/bytes.js';
import { RoomStore } from '../../graders/room/store.js';
import { join, post, resultFor, roomScratch, startRoomProcess, studentAddress } from '../../test/helpers/room.js';

const STUDENTS = Number(process.env.BENCH_ROOM_STUDENTS ?? 200);
const SECONDS = Number(process.env.BENCH_ROOM_SECONDS ?? 60);
const EVERY_MS = 2000;
const LAB = { id: 'lab1-go', checks: ['builds', 'multi-stage', 'size', 'no-toolchain', 'runs'] };

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);
const ms = (x: number) => `${Math.round(x)} ms`;
const spread = (xs: number[]) => `median ${ms(pct(xs, 50))}, p95 ${ms(pct(xs, 95))}, max ${ms(Math.max(...xs))}`;

async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Follow the board as a viewer does; call `seen` with every image size on it at each update. */
function followBoard(url: string, seen: (sizes: Set<number>) => void): () => void {
  let buffer = '';
  const req = request(`${url}/events`, (res) => {
    res.on('error', () => undefined); // cut on purpose at the end
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (!data) continue;
        const state = JSON.parse(data) as { rows: { cells: Record<string, { imageSize: number | null }> }[] };
        seen(new Set(state.rows.flatMap((r) => Object.values(r.cells).map((c) => c.imageSize ?? -1))));
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

export async function benchRoom(): Promise<void> {
  const scratch = await roomScratch();
  const file = path.join(scratch.dir, 'room.sqlite');
  const room = await startRoomProcess(file);
  const pid = room.proc.pid!;
  try {
    console.log(`a room: ${STUDENTS} students on loopback, each posting a result every ${EVERY_MS / 1000} s for ${SECONDS} s, one board view following`);
    const t0 = Date.now();
    const tokens = await Promise.all(Array.from({ length: STUDENTS }, (_, i) => join(room.url, room.code, `student ${i}`, studentAddress(i))));
    console.log(`  ${STUDENTS} joins: ${ms(Date.now() - t0)}`);

    const sentAt = new Map<number, number>();
    const boardLatency: number[] = [];
    const stopBoard = followBoard(room.url, (sizes) => {
      const now = Date.now();
      for (const [size, at] of sentAt) {
        if (sizes.has(size)) {
          boardLatency.push(now - at);
          sentAt.delete(size);
        }
      }
    });
    const rss: number[] = [];
    const sampler = setInterval(() => void memory(pid).then((m) => rss.push(m.rss)), 1000);

    const ackLatency: number[] = [];
    const counts = { sent: 0, acknowledged: 0, refused: 0, failed: 0 };
    let next = 2_000_000;
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      tokens.map(async (token, i) => {
        await new Promise((r) => setTimeout(r, (i / STUDENTS) * EVERY_MS)); // spread over the 2 s
        while (Date.now() < end) {
          const started = Date.now();
          const imageSize = next++;
          counts.sent++;
          sentAt.set(imageSize, started);
          const r = await post(room.url, token, resultFor(LAB, imageSize % 6, imageSize), studentAddress(i)).catch(() => undefined);
          if (r?.status === 201) {
            counts.acknowledged++;
            ackLatency.push(Date.now() - started);
          } else if (r) counts.refused++;
          else counts.failed++;
          await new Promise((res) => setTimeout(res, Math.max(0, EVERY_MS - (Date.now() - started))));
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 1500)); // the last results reach the board
    clearInterval(sampler);
    stopBoard();
    const { peak } = await memory(pid);
    room.proc.kill('SIGTERM');
    await new Promise((r) => room.proc.once('exit', r));
    const stored = (await RoomStore.read(file)).postCount();
    const size = (await stat(file)).size;

    console.log(
      `  results: ${counts.sent} sent, ${counts.acknowledged} acknowledged, ${stored} stored in the room file (${formatBytes(size)}), ${counts.refused} refused, ${counts.failed} unanswered`,
    );
    console.log(`  acknowledged (in the room's journal): ${spread(ackLatency)}`);
    console.log(
      `  on the board (post sent → in a board update): ${spread(boardLatency)}; ${sentAt.size} never seen there (overtaken by the same student's next result: 0 expected)`,
    );
    console.log(`  server memory: resident ${formatBytes(pct(rss, 50))} median, ${formatBytes(Math.max(...rss))} at most sampled, peak ${formatBytes(peak)}`);
    // A figure is only worth quoting if the room kept every result it acknowledged and answered every post.
    const lost = [
      stored < counts.acknowledged && `${counts.acknowledged - stored} acknowledged results are not in the room file`,
      counts.failed > 0 && `${counts.failed} posts were never answered`,
    ].filter(Boolean);
    if (lost.length) {
      console.log(`  FAILED: ${lost.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    room.proc.kill('SIGKILL');
    await scratch.remove();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchRoom();
