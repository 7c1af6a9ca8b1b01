import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GradeResult } from '../pipeline/result.js';

/**
 * One cell of the gradebook: a student's lab, graded, not submitted, or not gradable
 * (the engine went away, a build could not start): never a zero for an infrastructure fault.
 */
export interface GradeRecord {
  student: string;
  lab: string;
  status: 'graded' | 'not-submitted' | 'could-not-grade';
  /** Why a lab was not submitted or could not be graded. */
  reason?: string;
  result?: GradeResult;
  finishedAt: string;
}

/** Records are kept one file per grade, so an interrupted batch keeps every finished one. */
export const RESULTS_DIR = 'results';

/**
 * A file name from a student folder's name: readable, never a path, and distinct for
 * distinct names (a name that had to change gets a short hash of the original).
 */
export function safeName(name: string): string {
  const cleaned = (name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_').slice(0, 100);
  return cleaned === name ? name : `${cleaned}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

const recordPath = (outDir: string, r: Pick<GradeRecord, 'student' | 'lab'>) => path.join(outDir, RESULTS_DIR, safeName(r.student), `${r.lab}.json`);

/** Write a record whole or not at all: a batch killed mid-write leaves no half a file. */
export async function saveRecord(outDir: string, record: GradeRecord): Promise<void> {
  const file = recordPath(outDir, record);
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(record, null, 2)}\n`);
  await rename(partial, file);
}

/** Every record under an output folder (a batch's or a shard's). */
export async function loadRecords(outDir: string): Promise<GradeRecord[]> {
  const root = path.join(outDir, RESULTS_DIR);
  const files = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  const records: GradeRecord[] = [];
  for (const f of files.filter((f) => f.endsWith('.json')).sort()) {
    try {
      records.push(JSON.parse(await readFile(path.join(root, f), 'utf8')) as GradeRecord);
    } catch {
      // A file that does not parse is not a finished grade; --resume grades it again.
    }
  }
  return records;
}

/** A grade that needs no redoing on --resume. */
export const isFinal = (r: GradeRecord) => r.status !== 'could-not-grade';
