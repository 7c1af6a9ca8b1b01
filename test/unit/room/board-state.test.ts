import { describe, expect, it } from 'vitest';
import { boardState, pseudonyms, type LabInfo } from '../../../graders/room/board-state.js';
import type { Cell, Student } from '../../../graders/room/store.js';

const LAB: LabInfo = { id: 'lab1-go', checks: ['builds', 'multi-stage', 'size'] };
const MIN = 60_000;
const NOW = 100 * MIN;
const students: Student[] = ['carol', 'alice', 'bob'].map((name, id) => ({ id, name, joinedAt: 0 }));

function cell(student: string, passing: number, size: number | null, over: Partial<Cell> = {}): Cell {
  const checks = LAB.checks.map((id, i) =>
    i < passing ? { id, state: 'passed' as const } : { id, state: 'failed' as const, finding: `${id} found <script>` },
  );
  return {
    student,
    lab: LAB.id,
    at: NOW - MIN,
    passed: passing === 3,
    score: passing,
    maxScore: 3,
    imageSize: size,
    checks,
    kit: '0.1.0',
    engine: 'x',
    shared: false,
    stuck: null,
    verified: null,
    ...over,
  };
}

const cells = [
  cell('alice', 3, 9_000_000),
  cell('bob', 3, 7_500_000),
  cell('carol', 1, 900_000_000, { stuck: { check: 'multi-stage', since: NOW - 25 * MIN } }),
];
const opts = { pseudonyms: false, stuckMinutes: 10, instructor: false, now: NOW };

describe('the board state', () => {
  it("has a row per student, in name order, and a mark per check in the lab's order", () => {
    const s = boardState(students, cells, [LAB], 3, 'salt', opts);
    expect(s.rows.map((r) => r.name)).toEqual(['alice', 'bob', 'carol']);
    expect(s.rows[2]!.cells['lab1-go']!.marks).toEqual(['p', 'f', 'f']);
    expect(s.rows[1]!.cells['lab1-go']!.sizeText).toBe('7.5 MB');
  });

  it('ranks the smallest passing images, never a failing one however small', () => {
    const s = boardState(students, [...cells, cell('dave', 2, 1000)], [LAB], 4, 'salt', opts);
    expect(s.leaderboard[0]!.entries.map((e) => e.name)).toEqual(['bob', 'alice']);
  });

  it('counts the checks failing right now, most first', () => {
    const s = boardState(students, [...cells, cell('alice', 2, 1)], [LAB], 4, 'salt', opts);
    expect(s.failing[0]).toEqual({ lab: 'lab1-go', check: 'size', students: 2 });
  });

  it("shows who is stuck, and findings, only in the instructor's view", () => {
    const projector = boardState(students, cells, [LAB], 3, 'salt', opts);
    expect(projector.stuck).toBeUndefined();
    expect(projector.rows[2]!.cells['lab1-go']!.finding).toBeUndefined();
    const mine = boardState(students, cells, [LAB], 3, 'salt', { ...opts, instructor: true });
    expect(mine.stuck).toEqual([{ name: 'carol', lab: 'lab1-go', check: 'multi-stage', minutes: 25, finding: 'multi-stage found <script>' }]);
    const sooner = boardState(students, cells, [LAB], 3, 'salt', { ...opts, instructor: true, stuckMinutes: 30 });
    expect(sooner.stuck).toEqual([]);
  });

  it('puts pseudonyms on the projector, names nowhere on it', () => {
    const s = boardState(students, cells, [LAB], 3, 'salt', { ...opts, pseudonyms: true });
    const text = JSON.stringify(s);
    for (const name of ['alice', 'bob', 'carol']) expect(text).not.toContain(name);
    expect(new Set(s.rows.map((r) => r.name)).size).toBe(3);
    const mine = boardState(students, cells, [LAB], 3, 'salt', { ...opts, pseudonyms: true, instructor: true });
    expect(mine.rows.map((r) => r.name)).toEqual(['alice', 'bob', 'carol']);
    expect(mine.rows[0]!.pseudonym).toBe(pseudonyms(['alice', 'bob', 'carol'], 'salt').get('alice'));
  });

  it('gives distinct pseudonyms to a class larger than the word lists', () => {
    const names = Array.from({ length: 1500 }, (_, i) => `student${i}`);
    expect(new Set(pseudonyms(names, 'x').values()).size).toBe(1500);
  });

  it('marks a verified result, and one whose regrade differs', () => {
    const graded = { at: NOW, kind: 'graded' as const, passed: true, score: 3, maxScore: 3, imageSize: 1, checks: [] };
    const s = boardState(
      students,
      [cell('alice', 3, 1, { verified: { ...graded, agrees: true } }), cell('bob', 3, 1, { verified: { ...graded, agrees: false } })],
      [LAB],
      2,
      'salt',
      opts,
    );
    expect(s.rows.map((r) => r.cells['lab1-go']?.verified)).toEqual(['agrees', 'differs', undefined]);
  });
});
