import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { CannotGrade } from '../engine/errors.js';
import { Journal, writeDurably } from './journal.js';
import type { PostedCheck, ResultBody } from './protocol.js';

/**
 * The room's state: a real SQLite database (sql.js, SQLite compiled to WebAssembly: it
 * installs from the npm registry alone, on every Node the kit supports, with no build step).
 * The database lives in memory. A change is acknowledged once its line is written to the
 * room's journal (journal.ts, beside the room file); every few seconds the database is
 * written whole to the room file (a snapshot: temporary file, fsync, rename) and the journal
 * drops what the snapshot holds. Opening a room reads the snapshot, then the journal's later
 * changes, so a room killed outright comes back with every result it acknowledged.
 */

/** A snapshot is taken at most this often while changes arrive… */
export const SNAPSHOT_MS = 5000;
/** …or sooner once the journal has grown this large. */
export const SNAPSHOT_JOURNAL_BYTES = 4 * 1024 * 1024;
/** The snapshot's place in the journal: every change up to it is in the snapshot. */
const SNAPSHOT_SEQ = 'journal-seq';

/** The journal beside a room file. */
export const journalOf = (roomFile: string) => `${roomFile}.journal`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL UNIQUE, joined_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS results (
  student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE, lab TEXT NOT NULL,
  at INTEGER NOT NULL, passed INTEGER NOT NULL, score INTEGER NOT NULL, max_score INTEGER NOT NULL,
  image_size INTEGER, checks TEXT NOT NULL, kit TEXT NOT NULL, engine TEXT NOT NULL, dockerfile TEXT,
  stuck_check TEXT, stuck_since INTEGER, verified TEXT,
  PRIMARY KEY (student_id, lab));
CREATE TABLE IF NOT EXISTS posts (
  id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE, lab TEXT NOT NULL,
  at INTEGER NOT NULL, passed INTEGER NOT NULL, score INTEGER NOT NULL, image_size INTEGER);
`;

/** A regrade on the room's machine of the Dockerfile a student shared. */
export type Verification =
  | { at: number; kind: 'graded'; passed: boolean; score: number; maxScore: number; imageSize: number | null; checks: PostedCheck[]; agrees: boolean }
  | { at: number; kind: 'could-not-grade'; reason: string };

/** A student's latest result for one lab. */
export interface Cell {
  student: string;
  lab: string;
  at: number;
  passed: boolean;
  score: number;
  maxScore: number;
  imageSize: number | null;
  checks: PostedCheck[];
  kit: string;
  engine: string;
  shared: boolean;
  /** The first failing check, and since when the student's results have failed on it. */
  stuck: { check: string; since: number } | null;
  verified: Verification | null;
}

export interface Student {
  id: number;
  name: string;
  joinedAt: number;
}

let sqlJs: Promise<SqlJsStatic> | undefined;
const loadSqlJs = () => {
  // sql.js is CommonJS; its factory finds sql-wasm.wasm beside itself.
  sqlJs ??= (createRequire(import.meta.url)('sql.js') as (config?: object) => Promise<SqlJsStatic>)();
  return sqlJs;
};

const SQLITE_HEADER = 'SQLite format 3\u0000';

async function readRoomFile(file: string): Promise<Uint8Array | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CannotGrade(`cannot read the room file ${file}: ${(err as Error).message}`);
  }
  if (bytes.length > 0 && bytes.subarray(0, 16).toString('latin1') !== SQLITE_HEADER) {
    throw new CannotGrade(`${file} is not a room file (not an SQLite database); choose another with --room-file`);
  }
  return bytes.length ? bytes : undefined;
}

/** Whether a process with this id is alive (a lock left by a killed room is not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One room per room file: two servers writing one file would lose each other's results. */
function takeLock(file: string): () => void {
  const lock = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(pid) && alive(pid)) {
        throw new CannotGrade(`another room (process ${pid}) is using ${file}; stop it first, or choose another --room-file`);
      }
      unlinkSync(lock); // left by a room that was killed
    }
  }
  throw new CannotGrade(`cannot lock ${file}`);
}

const rows = (db: Database, sql: string, params: SqlValue[] = []): Record<string, SqlValue>[] => {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const out: Record<string, SqlValue>[] = [];
    while (stmt.step()) out.push(stmt.getAsObject());
    return out;
  } finally {
    stmt.free();
  }
};

/** One change to the room, as the journal keeps it: replayed in order, it makes the same room. */
type Change =
  | { op: 'setting'; key: string; value: string }
  | { op: 'join'; id: number; name: string; tokenHash: string; at: number }
  | { op: 'leave'; id: number }
  | { op: 'result'; studentId: number; body: ResultBody; at: number }
  | { op: 'verified'; studentId: number; lab: string; resultAt: number; verification: Verification };

export class RoomStore {
  private seq = 0;
  private snapshotAt = Date.now();
  private snapshotting: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly db: Database,
    readonly file: string,
    private readonly journal: Journal<Change>,
    private readonly release: () => void,
  ) {}

  /** The snapshot and the journal's later changes, in memory. */
  private static async load(file: string, release: () => void): Promise<{ store: RoomStore; journalled: number; fresh: boolean }> {
    // The journal before the snapshot: a snapshot taken between the two reads then covers
    // whatever the journal read had already dropped (a running room may be read: export).
    const entries = await Journal.read<Change>(journalOf(file));
    const [SQL, bytes] = await Promise.all([loadSqlJs(), readRoomFile(file)]);
    const store = new RoomStore(new SQL.Database(bytes), file, new Journal<Change>(journalOf(file)), release);
    store.db.run('PRAGMA foreign_keys = ON');
    store.db.exec(SCHEMA);
    store.seq = Number(store.setting(SNAPSHOT_SEQ) ?? 0);
    const later = entries.filter((e) => e.seq > store.seq);
    for (const e of later) {
      store.apply(e.change);
      store.seq = e.seq;
    }
    return { store, journalled: entries.length, fresh: !bytes };
  }

  /** Open (or create) the room file for a running room: locked to this process. */
  static async open(file: string): Promise<RoomStore> {
    const absolute = path.resolve(file);
    await mkdir(path.dirname(absolute), { recursive: true });
    const release = takeLock(absolute);
    try {
      const { store, journalled, fresh } = await RoomStore.load(absolute, release);
      // What the journal held goes into a snapshot, so new lines never follow one cut short.
      if (fresh || journalled > 0) await store.snapshot();
      return store;
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Read a room file as it is on disk (export, verify), its journal included: no lock, nothing written. */
  static async read(file: string): Promise<RoomStore> {
    const absolute = path.resolve(file);
    const { store, fresh } = await RoomStore.load(absolute, () => undefined);
    if (fresh && store.seq === 0) throw new CannotGrade(`no room file at ${file} (start a room with \`stagecraft room\`, or give its --room-file)`);
    store.closed = true; // read-only: commit() refuses
    return store;
  }

  /** Resolves once every change made so far is in the journal (journal.ts: when it reaches the disk). */
  commit(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the room file is closed'));
    const flushed = this.journal.flush();
    if (!this.snapshotting && (Date.now() - this.snapshotAt >= SNAPSHOT_MS || this.journal.size >= SNAPSHOT_JOURNAL_BYTES)) {
      // Not waited for: a failed snapshot leaves the journal whole, and the next one tries again.
      this.snapshotting = this.snapshot()
        .catch(() => undefined)
        .finally(() => (this.snapshotting = undefined));
    }
    return flushed;
  }

  /** The whole database to the room file, then the journal drops what it holds. */
  private async snapshot(): Promise<void> {
    this.snapshotAt = Date.now();
    const upTo = this.seq;
    this.apply({ op: 'setting', key: SNAPSHOT_SEQ, value: String(upTo) }); // in the snapshot, not the journal
    await writeDurably(this.file, this.db.export());
    await this.journal.dropUpTo(upTo);
  }

  /** Write what is pending and a last snapshot, then let the file go. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.journal.flush().catch(() => undefined);
    await this.snapshotting;
    await this.snapshot().catch(() => undefined); // the journal holds it all if this fails
    await this.journal.close();
    this.db.close();
    this.release();
  }

  /** Make a change, and add it to the journal (commit() writes it). */
  private change(c: Change): void {
    this.apply(c);
    this.journal.add(++this.seq, c);
  }

  private apply(c: Change): void {
    switch (c.op) {
      case 'setting':
        this.db.run('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [c.key, c.value]);
        return;
      case 'join':
        this.db.run('INSERT INTO students(id, name, token_hash, joined_at) VALUES (?, ?, ?, ?)', [c.id, c.name, c.tokenHash, c.at]);
        return;
      case 'leave':
        this.db.run('DELETE FROM students WHERE id = ?', [c.id]);
        return;
      case 'result':
        return this.applyResult(c.studentId, c.body, c.at);
      case 'verified':
        this.db.run('UPDATE results SET verified = ? WHERE student_id = ? AND lab = ? AND at = ?', [
          JSON.stringify(c.verification),
          c.studentId,
          c.lab,
          c.resultAt,
        ]);
        return;
    }
  }

  setting(key: string): string | undefined {
    return rows(this.db, 'SELECT value FROM settings WHERE key = ?', [key])[0]?.value as string | undefined;
  }

  setSetting(key: string, value: string): void {
    this.change({ op: 'setting', key, value });
  }

  /** The setting, made with `make()` the first time. */
  settingOr(key: string, make: () => string): string {
    const held = this.setting(key);
    if (held !== undefined) return held;
    const value = make();
    this.setSetting(key, value);
    return value;
  }

  /** A new student, or undefined when the name is taken (names are compared without case). */
  addStudent(name: string, tokenHash: string, now = Date.now()): Student | undefined {
    const taken = rows(this.db, 'SELECT id FROM students WHERE lower(name) = lower(?)', [name]).length > 0;
    if (taken) return undefined;
    const id = ((rows(this.db, 'SELECT max(id) AS n FROM students')[0]?.n as number | null) ?? 0) + 1;
    this.change({ op: 'join', id, name, tokenHash, at: now });
    return this.studentBy('name', name);
  }

  studentBy(field: 'name' | 'token_hash', value: string): Student | undefined {
    const r = rows(this.db, `SELECT id, name, joined_at FROM students WHERE ${field === 'name' ? 'lower(name) = lower(?)' : 'token_hash = ?'}`, [value])[0];
    return r ? { id: r.id as number, name: r.name as string, joinedAt: r.joined_at as number } : undefined;
  }

  students(): Student[] {
    return rows(this.db, 'SELECT id, name, joined_at FROM students ORDER BY name COLLATE NOCASE').map((r) => ({
      id: r.id as number,
      name: r.name as string,
      joinedAt: r.joined_at as number,
    }));
  }

  /** A student leaves the room: their results and Dockerfiles go with them. */
  removeStudent(id: number): void {
    this.change({ op: 'leave', id });
  }

  /** Store a posted result: the student's cell for the lab, and a line in the log of every post. */
  recordResult(student: Student, body: ResultBody, now = Date.now()): void {
    this.change({ op: 'result', studentId: student.id, body, at: now });
  }

  private applyResult(studentId: number, body: ResultBody, now: number): void {
    const firstFailing = body.checks.find((c) => c.state === 'failed')?.id ?? null;
    const before = rows(this.db, 'SELECT stuck_check, stuck_since FROM results WHERE student_id = ? AND lab = ?', [studentId, body.lab])[0];
    // Stuck: failing on the same first check since the first result that failed on it.
    const since = firstFailing === null ? null : before?.stuck_check === firstFailing ? (before.stuck_since as number) : now;
    this.db.run(
      `INSERT INTO results(student_id, lab, at, passed, score, max_score, image_size, checks, kit, engine, dockerfile, stuck_check, stuck_since, verified)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT(student_id, lab) DO UPDATE SET at = excluded.at, passed = excluded.passed, score = excluded.score,
         max_score = excluded.max_score, image_size = excluded.image_size, checks = excluded.checks, kit = excluded.kit,
         engine = excluded.engine, dockerfile = excluded.dockerfile, stuck_check = excluded.stuck_check,
         stuck_since = excluded.stuck_since, verified = NULL`,
      [
        studentId,
        body.lab,
        now,
        body.passed ? 1 : 0,
        body.score,
        body.maxScore,
        body.imageSize,
        JSON.stringify(body.checks),
        body.kit,
        body.engine,
        body.dockerfile ?? null,
        firstFailing,
        since,
      ],
    );
    this.db.run('INSERT INTO posts(student_id, lab, at, passed, score, image_size) VALUES (?, ?, ?, ?, ?, ?)', [
      studentId,
      body.lab,
      now,
      body.passed ? 1 : 0,
      body.score,
      body.imageSize,
    ]);
  }

  /** Every student's latest result per lab. */
  cells(): Cell[] {
    return rows(
      this.db,
      `SELECT s.name, r.lab, r.at, r.passed, r.score, r.max_score, r.image_size, r.checks, r.kit, r.engine,
              r.dockerfile IS NOT NULL AS shared, r.stuck_check, r.stuck_since, r.verified
       FROM results r JOIN students s ON s.id = r.student_id ORDER BY s.name COLLATE NOCASE, r.lab`,
    ).map((r) => ({
      student: r.name as string,
      lab: r.lab as string,
      at: r.at as number,
      passed: r.passed === 1,
      score: r.score as number,
      maxScore: r.max_score as number,
      imageSize: r.image_size as number | null,
      checks: JSON.parse(r.checks as string) as PostedCheck[],
      kit: r.kit as string,
      engine: r.engine as string,
      shared: r.shared === 1,
      stuck: r.stuck_check === null ? null : { check: r.stuck_check as string, since: r.stuck_since as number },
      verified: r.verified === null ? null : (JSON.parse(r.verified as string) as Verification),
    }));
  }

  /** The Dockerfile a student shared with their latest result for a lab. */
  dockerfile(student: Student, lab: string): string | undefined {
    return (rows(this.db, 'SELECT dockerfile FROM results WHERE student_id = ? AND lab = ?', [student.id, lab])[0]?.dockerfile as string | null) ?? undefined;
  }

  /** Record a regrade; only if the cell still holds the result that was regraded (`at`). */
  setVerified(student: Student, lab: string, resultAt: number, v: Verification): boolean {
    const current = rows(this.db, 'SELECT 1 FROM results WHERE student_id = ? AND lab = ? AND at = ?', [student.id, lab, resultAt]).length > 0;
    if (current) this.change({ op: 'verified', studentId: student.id, lab, resultAt, verification: v });
    return current;
  }

  /** The log of every result posted, oldest first. */
  posts(): { student: string; lab: string; at: number; passed: boolean; score: number; imageSize: number | null }[] {
    return rows(this.db, 'SELECT s.name, p.lab, p.at, p.passed, p.score, p.image_size FROM posts p JOIN students s ON s.id = p.student_id ORDER BY p.id').map(
      (r) => ({
        student: r.name as string,
        lab: r.lab as string,
        at: r.at as number,
        passed: r.passed === 1,
        score: r.score as number,
        imageSize: r.image_size as number | null,
      }),
    );
  }

  /** How many results were ever posted (every post is kept in the log). */
  postCount(): number {
    return rows(this.db, 'SELECT count(*) AS n FROM posts')[0]!.n as number;
  }
}

/** A random token, as text. */
export const newToken = () => randomBytes(24).toString('base64url');
