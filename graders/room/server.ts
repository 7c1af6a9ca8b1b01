import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { stoppingBecause } from '../cleanup/on-interrupt.js';
import { boardPage } from './board-page.js';
import { boardState, type LabInfo } from './board-state.js';
import { MAX_BODY_BYTES, NAME_RULE } from './limits.js';
import { describeIssue, JoinBody, ResultBody, VerifyBody } from './protocol.js';
import { newToken, type RoomStore, type Student, type Verification } from './store.js';

/**
 * The room's HTTP server: students join and post results, the board follows by
 * server-sent events, the instructor verifies. Every request body has a schema and a size
 * cap, every student's posts and every address's unauthenticated requests a rate, and a
 * refused request changes nothing.
 */

export interface RoomOptions {
  store: RoomStore;
  labs: LabInfo[];
  host: string;
  port: number;
  pseudonyms: boolean;
  stuckMinutes: number;
  /** The address students reach the room at (`192.168.1.20`); default: the one it listens on. */
  publicHost?: string;
  /** Regrade a shared Dockerfile on this machine (the grading pipeline); absent: verify is refused. */
  verifier?: (
    student: string,
    lab: string,
    dockerfile: string,
  ) => Promise<Omit<Extract<Verification, { kind: 'graded' }>, 'agrees' | 'at'> | { kind: 'could-not-grade'; reason: string }>;
}

export interface Room {
  server: Server;
  /** Where the server listens, as a URL (its bound address). */
  url: string;
  code: string;
  /** The link students join with. */
  joinLink: string;
  instructorToken: string;
  close(): Promise<void>;
}

/** Posts one student may make: a burst, then one a second (a grade takes longer than that). */
export const POST_BURST = 10;
export const POSTS_PER_SECOND = 1;
/** Requests without a valid token (joins, forged tokens) from one address. */
export const ANON_BURST = 30;
export const ANON_PER_SECOND = 5;
/** Board views connected at once. */
export const MAX_VIEWERS = 64;
/** The board hears of a change within this (changes within it are sent as one). */
export const BROADCAST_MS = 200;

const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const newCode = () => Array.from(randomBytes(6), (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const COOKIE = 'stagecraft_room';

class Buckets {
  private held = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  take(key: string, now = Date.now()): boolean {
    const b = this.held.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.held.set(key, b);
    if (this.held.size > 10_000) this.held.delete(this.held.keys().next().value!); // bounded
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A refused body is still read (up to this much) so the client hears the refusal instead of a reset. */
const DRAIN_BYTES = 8 * 1024 * 1024;

function drain(req: IncomingMessage, already = 0): void {
  let seen = already;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_BYTES) req.destroy();
  });
  req.resume();
}

function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    drain(req);
    return Promise.reject(new HttpError(413, `the body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`));
  }
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    drain(req);
    return Promise.reject(new HttpError(415, 'send the body as application/json'));
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        drain(req, size);
        reject(new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      parts.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, `the body does not match the room's schema: ${describeIssue(r.error)}`);
  return r.data;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function cookieToken(req: IncomingMessage): string | undefined {
  const found = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${COOKIE}=`));
  return found?.slice(COOKIE.length + 1);
}

const bearer = (req: IncomingMessage) => /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];

export async function startRoom(opts: RoomOptions): Promise<Room> {
  const { store } = opts;
  const code = store.settingOr('code', newCode);
  const instructorToken = store.settingOr('instructor-token', newToken);
  const salt = store.settingOr('pseudonym-salt', newToken);
  await store.commit();
  const instructorHash = Buffer.from(hashToken(instructorToken), 'hex');
  const labIds = new Map(opts.labs.map((l) => [l.id, l]));
  const posts = new Buckets(POST_BURST, POSTS_PER_SECOND);
  const anonymous = new Buckets(ANON_BURST, ANON_PER_SECOND);
  const viewers = new Set<{ res: ServerResponse; instructor: boolean }>();
  let queue: Promise<unknown> = Promise.resolve();
  let joinLink = '';
  let queued = 0;

  const isInstructor = (token: string | undefined) => {
    if (!token) return false;
    return timingSafeEqual(Buffer.from(hashToken(token), 'hex'), instructorHash);
  };
  const instructorRequest = (req: IncomingMessage) => isInstructor(bearer(req)) || isInstructor(cookieToken(req));
  const address = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';
  const limitAnonymous = (req: IncomingMessage) => {
    if (!anonymous.take(address(req))) throw new HttpError(429, 'too many requests from this address; wait a few seconds');
  };

  const state = (instructor: boolean) =>
    boardState(store.students(), store.cells(), opts.labs, store.postCount(), salt, {
      pseudonyms: opts.pseudonyms,
      stuckMinutes: opts.stuckMinutes,
      instructor,
    });

  let pending: NodeJS.Timeout | undefined;
  const broadcast = () => {
    pending = undefined;
    if (viewers.size === 0) return;
    const payload = new Map<boolean, string>();
    for (const v of viewers) {
      if (!payload.has(v.instructor)) payload.set(v.instructor, `event: state\ndata: ${JSON.stringify(state(v.instructor))}\n\n`);
      v.res.write(payload.get(v.instructor)!);
    }
  };
  const changed = () => {
    pending ??= setTimeout(broadcast, BROADCAST_MS);
  };
  // Minutes stuck grow without a post; the instructor's view hears it every half minute.
  const ticker = setInterval(changed, 30_000);
  const keepAlive = setInterval(() => viewers.forEach((v) => v.res.write(': still here\n\n')), 15_000);

  const events = (req: IncomingMessage, res: ServerResponse, instructor: boolean) => {
    if (viewers.size >= MAX_VIEWERS) throw new HttpError(503, `this room already has ${MAX_VIEWERS} board views open`);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write(`retry: 1000\nevent: state\ndata: ${JSON.stringify(state(instructor))}\n\n`);
    const viewer = { res, instructor };
    viewers.add(viewer);
    req.on('close', () => viewers.delete(viewer));
  };

  const page = (res: ServerResponse, instructor: boolean) => {
    const nonce = randomBytes(16).toString('base64');
    const html = boardPage({ nonce, instructor, code, joinLink, pseudonyms: opts.pseudonyms, stuckMinutes: opts.stuckMinutes, verify: Boolean(opts.verifier) });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      // Nothing from outside: the page's own script and style, and its own event stream.
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'`,
    });
    res.end(html);
  };

  const authStudent = (req: IncomingMessage): Student => {
    const token = bearer(req);
    const student = token ? store.studentBy('token_hash', hashToken(token)) : undefined;
    if (!student) {
      limitAnonymous(req);
      throw new HttpError(401, 'this room does not know that token: join the room again with `stagecraft room join <link> --name <you>`');
    }
    return student;
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://room.invalid');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /') return page(res, false);
    if (route === 'GET /events') return events(req, res, false);
    if (route === 'GET /instructor') {
      const key = url.searchParams.get('key');
      if (key !== null) {
        if (!isInstructor(key)) {
          limitAnonymous(req);
          throw new HttpError(403, "that is not this room's instructor key: open the instructor link `stagecraft room` printed");
        }
        // The key moves to a cookie and out of the address bar (and the browser's history).
        res.writeHead(303, { ...SECURITY_HEADERS, location: '/instructor', 'set-cookie': `${COOKIE}=${key}; HttpOnly; SameSite=Strict; Path=/` });
        return void res.end();
      }
      if (!instructorRequest(req)) throw new HttpError(403, "the instructor's view needs the instructor link `stagecraft room` printed");
      return page(res, true);
    }
    if (route === 'GET /instructor/events') {
      if (!instructorRequest(req)) throw new HttpError(403, "the instructor's view needs the instructor link `stagecraft room` printed");
      return events(req, res, true);
    }
    if (req.method === 'GET' && url.pathname.startsWith('/join/')) {
      const text = `This is a stagecraft room. To join it, run in your copy of the kit:\n\n  npx stagecraft room join http://${req.headers.host ?? 'this-address'}${url.pathname} --name <your name>\n`;
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(text);
    }
    if (route === 'POST /api/join') {
      limitAnonymous(req);
      const raw = await readBody(req);
      const nameGiven = typeof (raw as { name?: unknown })?.name === 'string';
      const r = JoinBody.safeParse(raw);
      if (!r.success) {
        const bad = r.error.issues[0]?.path[0] === 'name' && nameGiven;
        throw new HttpError(400, bad ? `a name is ${NAME_RULE}` : `the body does not match the room's schema: ${describeIssue(r.error)}`);
      }
      if (r.data.code.toUpperCase() !== code) throw new HttpError(403, "that is not this room's code: copy the join link on the board again");
      const token = newToken();
      const student = store.addStudent(r.data.name, hashToken(token));
      if (!student) throw new HttpError(409, `someone in this room is already called ${r.data.name}: choose another --name`);
      await store.commit();
      changed();
      return send(res, 201, { name: student.name, token, labs: opts.labs.map((l) => l.id) });
    }
    if (route === 'POST /api/results') {
      const student = authStudent(req);
      if (!posts.take(`student:${student.id}`)) throw new HttpError(429, `too many results from ${student.name}: at most ${POSTS_PER_SECOND} a second`);
      const body = parse(ResultBody, await readBody(req));
      const lab = labIds.get(body.lab);
      if (!lab) throw new HttpError(422, `this room has no lab ${body.lab}; its labs are ${opts.labs.map((l) => l.id).join(', ')}`);
      const sent = body.checks.map((c) => c.id);
      if (sent.length !== lab.checks.length || new Set(sent).size !== sent.length || sent.some((id) => !lab.checks.includes(id))) {
        throw new HttpError(422, `the checks sent (${sent.join(', ')}) are not ${body.lab}'s: ${lab.checks.join(', ')}`);
      }
      if (
        body.score !== body.checks.filter((c) => c.state === 'passed').length ||
        body.maxScore !== body.checks.length ||
        body.passed !== (body.score === body.maxScore)
      ) {
        throw new HttpError(422, 'the score, the number of checks and "passed" do not agree with the checks sent');
      }
      store.recordResult(student, body);
      await store.commit(); // acknowledged only once the journal holds it
      changed();
      return send(res, 201, { stored: true });
    }
    if (route === 'DELETE /api/me') {
      const student = authStudent(req);
      store.removeStudent(student.id);
      await store.commit();
      changed();
      return send(res, 200, { removed: student.name });
    }
    if (route === 'POST /api/verify' || route === 'GET /api/dockerfile') {
      // A custom header: a page elsewhere cannot make the browser send it with the cookie.
      const viaCookie = !isInstructor(bearer(req)) && req.headers['x-stagecraft-room'] === '1' && isInstructor(cookieToken(req));
      if (!isInstructor(bearer(req)) && !viaCookie) {
        limitAnonymous(req);
        throw new HttpError(403, 'only the instructor can verify or read a shared Dockerfile');
      }
      const asked =
        route === 'POST /api/verify'
          ? parse(VerifyBody, await readBody(req))
          : { student: url.searchParams.get('student') ?? '', lab: url.searchParams.get('lab') ?? '' };
      const student = store.studentBy('name', asked.student);
      if (!student) throw new HttpError(404, `no student called ${asked.student} in this room`);
      const lab = [...labIds.keys()].find((id) => id === asked.lab || id.split('-')[0] === asked.lab.toLowerCase().replace(/^(\d+)$/, 'lab$1'));
      const cell = lab && store.cells().find((c) => c.student === student.name && c.lab === lab);
      if (!lab || !cell) throw new HttpError(404, `${student.name} has posted no result for ${asked.lab}`);
      const dockerfile = store.dockerfile(student, lab);
      if (!dockerfile)
        throw new HttpError(
          409,
          `${student.name} did not share the Dockerfile of their latest ${lab} result (a student shares with \`stagecraft room join <link> --name <you> --share-dockerfile\`)`,
        );
      if (route === 'GET /api/dockerfile') return send(res, 200, { student: student.name, lab, dockerfile });
      const verifier = opts.verifier;
      if (!verifier) throw new HttpError(501, 'this room was started without verification');
      queued++;
      const position = queued;
      const outcome = (queue = queue
        .catch(() => undefined)
        .then(async () => {
          try {
            const got = await verifier(student.name, lab, dockerfile);
            // A regrade cut by the room's own stop is no verification: the one on the board stays.
            if (stoppingBecause()) throw new HttpError(503, 'the room is stopping');
            const v: Verification =
              got.kind === 'graded' ? { ...got, at: Date.now(), agrees: got.passed === cell.passed && got.score === cell.score } : { ...got, at: Date.now() };
            const current = store.setVerified(student, lab, cell.at, v);
            await store.commit();
            changed();
            return { ...v, current, student: student.name, lab, reported: { passed: cell.passed, score: cell.score, maxScore: cell.maxScore } };
          } finally {
            queued--;
          }
        }));
      if (url.searchParams.get('wait') === '1') return send(res, 200, await outcome);
      outcome.catch(() => undefined);
      return send(res, 202, { queued: position });
    }
    throw new HttpError(404, `nothing at ${req.method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `the room failed: ${(err as Error).message}`;
      // A request refused before its body was read: read it anyway, so the client hears the refusal.
      if (!req.complete && req.listenerCount('data') === 0) drain(req);
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  });
  server.requestTimeout = 15_000; // a client that sends its body slowly is cut off
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `port ${opts.port} is in use on ${opts.host}: choose another with --port` : err.message)),
    );
    server.listen(opts.port, opts.host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `http://${host}:${bound.port}`;
  joinLink = `${opts.publicHost ? `http://${opts.publicHost}:${bound.port}` : url}/join/${code}`;
  return {
    server,
    url,
    code,
    joinLink,
    instructorToken,
    async close() {
      clearInterval(ticker);
      clearInterval(keepAlive);
      if (pending) clearTimeout(pending);
      for (const v of viewers) v.res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // A regrade under way is not waited for: its own cleanups (image, folder) run on interrupt.
      await store.close();
    },
  };
}
