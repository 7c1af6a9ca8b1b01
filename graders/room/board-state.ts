import { createHash } from 'node:crypto';
import { formatBytes } from '../format/bytes.js';
import type { Cell, Student } from './store.js';

/**
 * What the board shows, computed from the room's rows: a row per student and a column per
 * lab, the smallest passing images, the checks failing most, and (for the instructor only)
 * who has been stuck on the same check for a while. Pure: the page only draws it.
 */

export interface LabInfo {
  id: string;
  checks: string[];
}

export interface BoardOptions {
  /** The projector shows pseudonyms instead of names. */
  pseudonyms: boolean;
  stuckMinutes: number;
  /** The instructor's view: real names, findings, who is stuck, what can be verified. */
  instructor: boolean;
  now?: number;
}

export type CheckMark = 'p' | 'f' | 's' | '';

export interface CellView {
  passed: boolean;
  score: number;
  maxScore: number;
  imageSize: number | null;
  /** The size as people read it. */
  sizeText: string;
  /** One mark per check of the lab, in the lab's order ('' for a check the result did not report). */
  marks: CheckMark[];
  /** The regrade on the room's machine: it agreed with the student's result, or did not. */
  verified?: 'agrees' | 'differs' | 'could-not-grade';
  /** Instructor only. */
  shared?: boolean;
  finding?: string;
}

export interface BoardRow {
  name: string;
  /** Instructor only: the name the projector hides behind `name` when pseudonyms are on. */
  pseudonym?: string;
  cells: Record<string, CellView>;
}

export interface BoardState {
  labs: LabInfo[];
  rows: BoardRow[];
  leaderboard: { lab: string; entries: { name: string; imageSize: number; sizeText: string }[] }[];
  failing: { lab: string; check: string; students: number }[];
  /** Instructor only. */
  stuck?: { name: string; lab: string; check: string; minutes: number; finding: string }[];
  posts: number;
}

const ADJECTIVES = [
  'Amber',
  'Brave',
  'Calm',
  'Clever',
  'Coral',
  'Crimson',
  'Curious',
  'Daring',
  'Eager',
  'Gentle',
  'Golden',
  'Happy',
  'Indigo',
  'Jolly',
  'Keen',
  'Lively',
  'Lucky',
  'Mellow',
  'Mighty',
  'Nimble',
  'Olive',
  'Plucky',
  'Quick',
  'Quiet',
  'Rapid',
  'Silver',
  'Sunny',
  'Swift',
  'Teal',
  'Tidy',
  'Violet',
  'Witty',
];
const ANIMALS = [
  'Badger',
  'Beaver',
  'Bison',
  'Crane',
  'Dolphin',
  'Falcon',
  'Ferret',
  'Gecko',
  'Heron',
  'Ibis',
  'Koala',
  'Lemur',
  'Lynx',
  'Marten',
  'Moose',
  'Narwhal',
  'Ocelot',
  'Otter',
  'Panda',
  'Puffin',
  'Quokka',
  'Raven',
  'Robin',
  'Salmon',
  'Seal',
  'Stoat',
  'Tapir',
  'Toucan',
  'Walrus',
  'Wombat',
  'Yak',
  'Zebra',
];

/** A stable, friendly pseudonym per name (distinct within the room: a clash gets a number). */
export function pseudonyms(names: string[], salt: string): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const name of [...names].sort()) {
    const h = createHash('sha256').update(`${salt}\u0000${name.toLowerCase()}`).digest();
    const base = `${ADJECTIVES[h[0]! % ADJECTIVES.length]} ${ANIMALS[h[1]! % ANIMALS.length]}`;
    let alias = base;
    for (let n = 2; used.has(alias); n++) alias = `${base} ${n}`;
    used.add(alias);
    out.set(name, alias);
  }
  return out;
}

const mark = (state: string | undefined): CheckMark => (state === 'passed' ? 'p' : state === 'failed' ? 'f' : state === 'skipped' ? 's' : '');

export function boardState(students: Student[], cells: Cell[], labs: LabInfo[], posts: number, salt: string, opts: BoardOptions): BoardState {
  const now = opts.now ?? Date.now();
  const alias = pseudonyms(
    students.map((s) => s.name),
    salt,
  );
  const shown = (name: string) => (opts.pseudonyms && !opts.instructor ? alias.get(name)! : name);
  const byStudent = new Map<string, Cell[]>();
  for (const c of cells) byStudent.set(c.student, [...(byStudent.get(c.student) ?? []), c]);
  const labById = new Map(labs.map((l) => [l.id, l]));

  const view = (c: Cell): CellView => {
    const lab = labById.get(c.lab);
    const byId = new Map(c.checks.map((k) => [k.id, k.state]));
    const v: CellView = {
      passed: c.passed,
      score: c.score,
      maxScore: c.maxScore,
      imageSize: c.imageSize,
      sizeText: c.imageSize === null ? 'no image' : formatBytes(c.imageSize),
      marks: (lab?.checks ?? c.checks.map((k) => k.id)).map((id) => mark(byId.get(id))),
    };
    if (c.verified) v.verified = c.verified.kind === 'could-not-grade' ? 'could-not-grade' : c.verified.agrees ? 'agrees' : 'differs';
    if (opts.instructor) {
      v.shared = c.shared;
      const finding = c.checks.find((k) => k.state === 'failed');
      if (finding) v.finding = `${finding.id}: ${finding.finding ?? ''}`;
    }
    return v;
  };

  const rows: BoardRow[] = students
    .map((s) => {
      const row: BoardRow = { name: shown(s.name), cells: {} };
      if (opts.instructor && opts.pseudonyms) row.pseudonym = alias.get(s.name)!;
      for (const c of byStudent.get(s.name) ?? []) if (labById.has(c.lab)) row.cells[c.lab] = view(c);
      return row;
    })
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));

  const leaderboard = labs.map((lab) => ({
    lab: lab.id,
    entries: cells
      .filter((c) => c.lab === lab.id && c.passed && c.imageSize !== null)
      .sort((a, b) => a.imageSize! - b.imageSize! || a.at - b.at)
      .slice(0, 3)
      .map((c) => ({ name: shown(c.student), imageSize: c.imageSize!, sizeText: formatBytes(c.imageSize!) })),
  }));

  // Right now: each student's latest result per lab, every check it fails.
  const counts = new Map<string, { lab: string; check: string; students: number }>();
  for (const c of cells) {
    if (!labById.has(c.lab)) continue;
    for (const k of c.checks.filter((k) => k.state === 'failed')) {
      const key = `${c.lab}\u0000${k.id}`;
      const entry = counts.get(key) ?? { lab: c.lab, check: k.id, students: 0 };
      entry.students++;
      counts.set(key, entry);
    }
  }
  const failing = [...counts.values()].sort((a, b) => b.students - a.students || a.lab.localeCompare(b.lab) || a.check.localeCompare(b.check)).slice(0, 5);

  const state: BoardState = { labs, rows, leaderboard, failing, posts };
  if (opts.instructor) {
    state.stuck = cells
      .filter((c) => !c.passed && c.stuck && now - c.stuck.since >= opts.stuckMinutes * 60_000)
      .map((c) => ({
        name: c.student,
        lab: c.lab,
        check: c.stuck!.check,
        minutes: Math.floor((now - c.stuck!.since) / 60_000),
        finding: c.checks.find((k) => k.id === c.stuck!.check)?.finding ?? '',
      }))
      .sort((a, b) => b.minutes - a.minutes);
  }
  return state;
}
