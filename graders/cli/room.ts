import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import pc from 'picocolors';
import { CannotGrade } from '../engine/errors.js';
import { shownPath } from '../format/path.js';

// `stagecraft room …`: the workshop's live board. The work is in graders/room/; this file
// only reads flags and prints. Each action loads what it needs when it runs.

const DEFAULT_PORT = 4300;

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('give a port number from 0 to 65535');
  return n;
};
const minutes = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('give a number of minutes above 0');
  return n;
};

/** The room file: the instructor's kit state folder unless --room-file says otherwise. */
async function roomFile(given: string | undefined): Promise<string> {
  if (given) return path.resolve(given);
  const { stateDir } = await import('../room/client.js');
  return path.join(stateDir(), 'room.sqlite');
}

/** Where students on the classroom network reach this machine: its first non-loopback IPv4 address. */
function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/** Open a page in the desktop's browser, if there is one; a machine without one says nothing. */
function openInBrowser(url: string): void {
  const [bin, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(bin as string, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser to open: the link is printed
  }
}

interface StartFlags {
  port: number;
  host: string;
  roomFile?: string;
  pseudonyms?: boolean;
  stuckMinutes: number;
  open: boolean;
}

async function startCommand(flags: StartFlags): Promise<void> {
  const [{ RoomStore }, { startRoom }, { gradeVerifier }, { allLabs }, { onInterrupt }] = await Promise.all([
    import('../room/store.js'),
    import('../room/server.js'),
    import('../room/verify.js'),
    import('../lab.js'),
    import('../cleanup/on-interrupt.js'),
  ]);
  const file = await roomFile(flags.roomFile);
  const labs = await allLabs();
  const store = await RoomStore.open(file);
  const everywhere = flags.host === '0.0.0.0' || flags.host === '::';
  const lan = everywhere ? lanAddresses() : [flags.host];
  const room = await startRoom({
    store,
    labs: labs.map((l) => ({ id: l.id, checks: l.checks.map((c) => c.id) })),
    host: flags.host,
    port: flags.port,
    publicHost: lan[0],
    pseudonyms: Boolean(flags.pseudonyms),
    stuckMinutes: flags.stuckMinutes,
    verifier: gradeVerifier(labs),
  }).catch(async (err: Error) => {
    await store.close();
    throw new CannotGrade(err.message);
  });
  onInterrupt(() => room.close());
  const port = new URL(room.url).port;
  const local = `http://${everywhere || flags.host === '127.0.0.1' ? '127.0.0.1' : flags.host}:${port}`;
  // `room verify` on this machine finds the running room through its file.
  store.setSetting('local-url', local);
  await store.commit();
  const board = new URL(room.joinLink).origin;
  const out = [
    `${pc.bold('stagecraft room')} ${pc.yellow(room.code)} — ${store.students().length} students, ${store.postCount()} results so far, kept in ${shownPath(file)}`,
    `  students join:  ${pc.bold(`npx stagecraft room join ${room.joinLink} --name <their name>`)}`,
    `  the board:      ${board}/   (for the projector${flags.pseudonyms ? ', with pseudonyms' : ''}; the workshop deck shows it on a slide)`,
    `  your view:      ${local}/instructor?key=${room.instructorToken}   (yours alone: it can verify and read shared Dockerfiles)`,
  ];
  if (everywhere && lan.length > 1)
    out.push(
      `  also reachable at ${lan
        .slice(1)
        .map((a) => `http://${a}:${port}`)
        .join(', ')}`,
    );
  if (everywhere && lan.length === 0) out.push("  no network but this machine's own: students on other computers cannot reach it yet");
  out.push('Ctrl-C stops the room; everything stays in the room file for the next start and for `stagecraft room export`.');
  process.stdout.write(`${out.join('\n')}\n`);
  if (flags.open) openInBrowser(`${local}/instructor?key=${room.instructorToken}`);
  await new Promise<never>(() => undefined); // serve until interrupted
}

async function verifyCommand(student: string, lab: string, flags: { roomFile?: string }): Promise<void> {
  const { RoomStore } = await import('../room/store.js');
  const store = await RoomStore.read(await roomFile(flags.roomFile));
  const url = store.setting('local-url');
  const token = store.setting('instructor-token');
  if (!url || !token) throw new CannotGrade('that room file has never been served: start the room with `stagecraft room` first');
  // Plain http, not fetch: a regrade can take longer than fetch waits for an answer's headers.
  const { request } = await import('node:http');
  const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      `${url}/api/verify?wait=1`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ student, lab }));
  }).catch(() => {
    throw new CannotGrade(`the room is not running at ${url}: start it with \`stagecraft room\` (the same --room-file), then verify`);
  });
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(reply.text) as Record<string, unknown>;
  } catch {
    // said below
  }
  if (reply.status !== 200) throw new CannotGrade(`the room said: ${String(body.error ?? reply.status)}`);
  const { formatBytes } = await import('../format/bytes.js');
  if (body.kind === 'could-not-grade') {
    process.stdout.write(`could not regrade ${student}'s ${lab} on this machine: ${String(body.reason)}\n`);
    process.exitCode = 2;
    return;
  }
  const failing = (body.checks as { id: string; state: string }[]).filter((c) => c.state === 'failed').map((c) => c.id);
  const size = body.imageSize === null ? 'no image' : formatBytes(body.imageSize as number);
  const reported = body.reported as { score: number; maxScore: number };
  const theirs = `${reported.score}/${reported.maxScore}`;
  student = String(body.student);
  lab = String(body.lab);
  process.stdout.write(
    `regraded ${student}'s ${lab} on this machine: ${String(body.score)}/${String(body.maxScore)} checks passed, ${size}${failing.length ? ` (failing: ${failing.join(', ')})` : ''} — ` +
      (body.agrees ? `agrees with the result they posted (${theirs})\n` : `differs from the result they posted (${theirs})\n`) +
      (body.current === false ? `${student} has posted a newer result since; the board keeps that one unverified\n` : ''),
  );
  process.exitCode = body.agrees ? 0 : 1;
}

/** `stagecraft room` and its subcommands, under the main command (whose error handling they inherit). */
export function addRoomCommand(cli: Command): void {
  const room = cli.command('room').description("the workshop's live board: every student's grades on the projector, and who is stuck");
  room
    .command('start', { isDefault: true })
    .description('start a room on this machine (the default): print the join link and open the board')
    .option('--port <n>', 'the port to listen on (0: any free one)', port, DEFAULT_PORT)
    .option('--host <address>', 'the address to listen on (127.0.0.1: this machine only)', '0.0.0.0')
    .option('--room-file <file>', 'where the room keeps its state (default: .stagecraft/room.sqlite in the kit)')
    .option('--pseudonyms', 'show pseudonyms instead of names on the projector (your view keeps the names)')
    .option('--stuck-minutes <n>', 'in your view, list students failing the same check for this long', minutes, 10)
    .option('--no-open', 'do not open your view in a browser')
    .action(startCommand);
  room
    .command('join')
    .description("join a room from a student's kit: every grade from now on posts its result there")
    .argument('<link>', 'the join link on the board: http://192.168.1.20:4300/join/K7P2QX')
    .requiredOption('--name <name>', 'your name on the board')
    .option('--share-dockerfile', 'also send your Dockerfile with each result, so the instructor can regrade it')
    .action(async (link: string, flags: { name: string; shareDockerfile?: boolean }) => {
      const { joinRoom } = await import('../room/client.js');
      process.stdout.write(`${await joinRoom(link, flags.name, Boolean(flags.shareDockerfile))}\n`);
    });
  room
    .command('leave')
    .description('leave the room: it removes your results, and this kit forgets its token')
    .action(async () => {
      const { leaveRoom } = await import('../room/client.js');
      process.stdout.write(`${await leaveRoom()}\n`);
    });
  room
    .command('verify')
    .description("regrade a student's shared Dockerfile on this machine (the room must be running), one at a time")
    .argument('<student>', 'the name they joined with')
    .argument('<lab>', 'the lab: lab3, 3 or lab3-python')
    .option('--room-file <file>', "the running room's file (default: .stagecraft/room.sqlite in the kit)")
    .action(verifyCommand);
  room
    .command('export')
    .description("write the room's results as the gradebook `stagecraft batch` writes (CSV, JSON, HTML)")
    .option('--room-file <file>', "the room's file (default: .stagecraft/room.sqlite in the kit)")
    .option('--out <dir>', 'where the gradebook goes', 'gradebook')
    .action(async (flags: { roomFile?: string; out: string }) => {
      const { exportRoom } = await import('../room/export.js');
      const out = path.resolve(flags.out);
      const { students, results } = await exportRoom(await roomFile(flags.roomFile), out);
      process.stdout.write(`${students} students, ${results} results; gradebook: ${shownPath(path.join(out, 'gradebook.html'))}\n`);
    });
}
