import path from 'node:path';
import { CannotGrade } from '../engine/errors.js';
import { allLabs } from '../lab.js';
import { labColumn, type Gradebook } from './gradebook.js';
import { loadRecords, saveRecord, type GradeRecord } from './records.js';
import { refreshGradebook } from './run-batch.js';

/**
 * Join the outputs of several batches (the shards of one class) into one gradebook in
 * `outDir`, whose results/ then holds every record too.
 */
export async function mergeBatches(dirs: string[], outDir: string): Promise<Gradebook> {
  const records: GradeRecord[] = [];
  for (const dir of dirs) {
    const found = await loadRecords(dir);
    if (found.length === 0) throw new CannotGrade(`no batch results in ${dir} (expected ${path.join(dir, 'results')}/)`);
    records.push(...found);
  }
  const inputs = new Set(dirs.map((d) => path.resolve(d)));
  if (!inputs.has(path.resolve(outDir))) for (const r of records) await saveRecord(outDir, r);
  const known = await allLabs();
  const ids = new Set(records.map((r) => r.lab));
  const labs = [
    ...known.filter((l) => ids.has(l.id)).map(labColumn),
    ...[...ids]
      .filter((id) => !known.some((l) => l.id === id))
      .map((id) => ({ id, maxScore: records.find((r) => r.lab === id && r.result)?.result?.maxScore ?? 0 })),
  ];
  return refreshGradebook(outDir, labs, records);
}
