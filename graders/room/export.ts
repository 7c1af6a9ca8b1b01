import { labColumn } from '../batch/gradebook.js';
import { saveRecord, type GradeRecord } from '../batch/records.js';
import { refreshGradebook } from '../batch/run-batch.js';
import { allLabs, type LabDefinition } from '../lab.js';
import type { GradeResult } from '../pipeline/result.js';
import { RoomStore, type Cell } from './store.js';

/** A cell of the room as a grade result: the room's own regrade when there is one, else what the student's kit reported. */
function asResult(cell: Cell, lab: LabDefinition | undefined): GradeResult {
  const v = cell.verified?.kind === 'graded' ? cell.verified : undefined;
  const from = v ?? cell;
  return {
    lab: cell.lab,
    dockerfile: `${cell.student}/labs/${cell.lab}/Dockerfile`,
    passed: from.passed,
    score: from.score,
    maxScore: from.maxScore,
    image: from.imageSize === null ? null : { size: from.imageSize, standInBases: [] },
    checks: from.checks.map((c) => {
      const check = lab?.checks.find((k) => k.id === c.id);
      return {
        id: check?.id ?? (c.id as GradeResult['checks'][number]['id']),
        title: check?.title ?? c.id,
        passed: c.state === 'passed',
        skipped: c.state === 'skipped',
        message: c.finding ?? c.state,
        hint: check?.hint ?? '',
        slide: check?.slide ?? '',
        details: {},
      };
    }),
    notes: [v ? "regraded on the room's machine from the Dockerfile the student shared" : `self-reported by the student's kit ${cell.kit} (${cell.engine})`],
    durationMs: 0,
    timings: {},
  };
}

/**
 * `stagecraft room export`: the room's latest results as the same gradebook a batch writes
 * (gradebook.csv, .json, .html, summary.md, junit/, and results/ for `stagecraft merge`).
 * Reads the room file as it is on disk; a running room need not stop.
 */
export async function exportRoom(roomFile: string, outDir: string): Promise<{ students: number; results: number }> {
  const store = await RoomStore.read(roomFile);
  const cells = store.cells();
  const students = store.students();
  const known = await allLabs();
  const posted = new Set(cells.map((c) => c.lab));
  const labs = known.filter((l) => posted.has(l.id));
  const finishedAt = (at: number) => new Date(at).toISOString();
  const records: GradeRecord[] = [];
  for (const s of students) {
    for (const lab of labs) {
      const cell = cells.find((c) => c.student === s.name && c.lab === lab.id);
      records.push(
        cell
          ? { student: s.name, lab: lab.id, status: 'graded', result: asResult(cell, lab), finishedAt: finishedAt(cell.verified?.at ?? cell.at) }
          : { student: s.name, lab: lab.id, status: 'not-submitted', reason: 'no result was posted to the room', finishedAt: finishedAt(s.joinedAt) },
      );
    }
  }
  for (const r of records) await saveRecord(outDir, r);
  await refreshGradebook(outDir, labs.map(labColumn), records);
  return { students: students.length, results: cells.length };
}
