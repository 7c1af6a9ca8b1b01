import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../format/bytes.js';
import type { LabDefinition } from '../lab.js';
import { markdownText } from '../format/text.js';
import { toJUnit } from '../report/junit.js';
import { safeName, type GradeRecord } from './records.js';

/** One student's line: a cell per lab, in lab order. */
export interface GradebookRow {
  student: string;
  cells: Record<string, GradeRecord | undefined>;
  total: number;
  maxTotal: number;
}

/** A lab's column in the gradebook. */
export interface LabColumn {
  id: string;
  maxScore: number;
}

export const labColumn = (lab: LabDefinition): LabColumn => ({ id: lab.id, maxScore: lab.checks.length });

export interface Gradebook {
  labs: LabColumn[];
  rows: GradebookRow[];
}

export type CellStatus = 'passed' | 'failed' | 'not submitted' | 'could not grade' | 'not graded';

export function cellStatus(record: GradeRecord | undefined): CellStatus {
  if (!record) return 'not graded';
  if (record.status === 'not-submitted') return 'not submitted';
  if (record.status === 'could-not-grade') return 'could not grade';
  return record.result!.passed ? 'passed' : 'failed';
}

/**
 * The gradebook from records: a row per student, a column per lab. When records disagree
 * (merged shards that overlap, a resumed batch), a final grade wins over "could not grade".
 */
export function buildGradebook(records: GradeRecord[], labs: LabColumn[]): Gradebook {
  const byStudent = new Map<string, Record<string, GradeRecord | undefined>>();
  for (const r of records) {
    const cells = byStudent.get(r.student) ?? {};
    const held = cells[r.lab];
    if (!held || held.status === 'could-not-grade' || (r.status !== 'could-not-grade' && r.finishedAt > held.finishedAt)) cells[r.lab] = r;
    byStudent.set(r.student, cells);
  }
  const maxTotal = labs.reduce((s, l) => s + l.maxScore, 0);
  const rows = [...byStudent.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en'))
    .map(([student, cells]) => ({
      student,
      cells,
      total: labs.reduce((s, l) => s + (cells[l.id]?.result?.score ?? 0), 0),
      maxTotal,
    }));
  return { labs, rows };
}

const csvField = (value: string | number) => {
  const text = String(value);
  // Quote what needs it; a leading = + - @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

/** gradebook.csv: one row per student, a score and a status per lab, a total. */
export function toCsv(book: Gradebook): string {
  const header = ['student', ...book.labs.flatMap((l) => [l.id, `${l.id} status`]), 'total', 'max'];
  const lines = book.rows.map((row) => [
    row.student,
    ...book.labs.flatMap((l) => [row.cells[l.id]?.result?.score ?? 0, cellStatus(row.cells[l.id])]),
    row.total,
    row.maxTotal,
  ]);
  return [header, ...lines].map((cols) => cols.map(csvField).join(',')).join('\n') + '\n';
}

/** The smallest images that pass every check, per lab: the leaderboard workshops enjoy. */
export function leaderboard(book: Gradebook, labId: string, top = 3): { student: string; size: number }[] {
  return book.rows
    .map((row) => ({ student: row.student, result: row.cells[labId]?.result }))
    .filter((x) => x.result?.passed && x.result.image)
    .map((x) => ({ student: x.student, size: x.result!.image!.size }))
    .sort((a, b) => a.size - b.size)
    .slice(0, top);
}

/** Student folder names and reasons are the students' text: shown as text, never as Markdown or HTML. */
const mdCell = markdownText;

/** summary.md: for a CI job summary — the table, problems to look at, the leaderboard. */
export function toSummary(book: Gradebook): string {
  const out = [`# stagecraft gradebook`, '', `${book.rows.length} students, ${book.labs.length} labs.`, ''];
  out.push(`| student | ${book.labs.map((l) => mdCell(l.id)).join(' | ')} | total |`, `|---|${book.labs.map(() => '---').join('|')}|---|`);
  for (const row of book.rows) {
    const cells = book.labs.map((l) => {
      const status = cellStatus(row.cells[l.id]);
      const result = row.cells[l.id]?.result;
      return result ? `${result.passed ? '✅' : '❌'} ${result.score}/${l.maxScore}` : status;
    });
    out.push(`| ${mdCell(row.student)} | ${cells.join(' | ')} | ${row.total}/${row.maxTotal} |`);
  }
  const problems = book.rows.flatMap((row) =>
    book.labs
      .filter((l) => row.cells[l.id]?.status === 'could-not-grade')
      .map((l) => `- ${mdCell(row.student)} · ${l.id}: ${mdCell(row.cells[l.id]!.reason ?? '')}`),
  );
  if (problems.length) out.push('', "## Could not grade (not the students' fault: run the batch again with `--resume`)", '', ...problems);
  out.push('', '## Smallest passing images', '');
  for (const lab of book.labs) {
    const best = leaderboard(book, lab.id);
    out.push(
      `- **${lab.id}**: ${best.length ? best.map((b, i) => `${i + 1}. ${mdCell(b.student)} ${formatBytes(b.size)}`).join(', ') : 'no passing image yet'}`,
    );
  }
  return out.join('\n') + '\n';
}

/** JUnit XML for one student: a suite per lab, a test case per check (missing labs as one failing case). */
export function studentJUnit(row: GradebookRow, labs: Gradebook['labs']): string {
  const graded = labs.map((l) => row.cells[l.id]?.result).filter((r) => r !== undefined);
  const missing = labs
    .filter((l) => !row.cells[l.id]?.result)
    .map((l) => ({ lab: l.id, status: cellStatus(row.cells[l.id]), reason: row.cells[l.id]?.reason ?? 'not graded' }));
  return toJUnit(graded, { prefix: `stagecraft.${safeName(row.student)}`, missing });
}

/** Write every output of a gradebook into `outDir`. */
export async function writeGradebook(outDir: string, book: Gradebook, html: string): Promise<void> {
  await mkdir(path.join(outDir, 'junit'), { recursive: true });
  await writeFile(path.join(outDir, 'gradebook.csv'), toCsv(book));
  await writeFile(path.join(outDir, 'gradebook.json'), `${JSON.stringify({ labs: book.labs, students: book.rows }, null, 2)}\n`);
  await writeFile(path.join(outDir, 'summary.md'), toSummary(book));
  await writeFile(path.join(outDir, 'gradebook.html'), html);
  for (const row of book.rows) await writeFile(path.join(outDir, 'junit', `${safeName(row.student)}.xml`), studentJUnit(row, book.labs));
}
