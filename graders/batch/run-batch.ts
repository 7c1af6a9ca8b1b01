import path from 'node:path';
import { engineAnswers, requireEngine } from '../engine/docker.js';
import { CannotGrade } from '../engine/errors.js';
import { stoppingBecause } from '../cleanup/on-interrupt.js';
import type { LabDefinition } from '../lab.js';
import { grade } from '../pipeline/grade.js';
import type { GradeLimits } from '../pipeline/limits.js';
import { cacheNamespace, removeCacheMountsSince } from '../prepare/cache-mounts.js';
import { readMeasurements } from '../pipeline/reference.js';
import { silentProgress } from '../pipeline/progress.js';
import type { BatchJob, BatchProgress } from './progress.js';
import { buildFence, ceilingLine, requireBuildLimits, unlimitedLine } from '../fence/index.js';
import { diskShortage, requireFreeSpace } from './disk.js';
import { buildGradebook, labColumn, writeGradebook, type Gradebook, type LabColumn } from './gradebook.js';
import { toHtml } from './gradebook-html.js';
import { isFinal, loadRecords, saveRecord, type GradeRecord } from './records.js';
import { studentsInShard, type Shard } from './shard.js';
import { listStudents, readSubmission, stageSubmission } from './submissions.js';
import { firstLine } from '../format/text.js';

export interface BatchOptions {
  submissionsDir: string;
  labs: LabDefinition[];
  outDir: string;
  concurrency: number;
  shard?: Shard;
  resume: boolean;
  /** The limits every grade of the batch holds to. */
  limits?: GradeLimits;
  /** Grade even where build limits cannot be applied (the batch refuses to start otherwise). */
  allowUnlimitedBuilds?: boolean;
  minFreeBytes: number;
  /** Images allowed beyond the catalogue and the online images, for every grade. */
  allowImages?: string[];
  progress: BatchProgress;
}

export interface BatchOutcome {
  book: Gradebook;
  /** Grades done by this run, by status. */
  counts: Record<GradeRecord['status'], number>;
  /** Grades this run did not reach because the engine went away or the disk filled up. */
  notReached: number;
  /** Why the batch stopped taking grades before the end, in one line. */
  stoppedBecause?: string;
  /** Students in this batch (or shard). */
  students: number;
}

/** Grade one student's lab; every way it can end becomes a record, never an exception. */
async function gradeOne(job: BatchJob & { studentDir: string; isLink: boolean }, lab: LabDefinition, opts: BatchOptions): Promise<GradeRecord> {
  const base = { student: job.student, lab: lab.id };
  const at = () => new Date().toISOString();
  if (job.isLink) return { ...base, status: 'not-submitted', reason: 'the student folder is a symbolic link, which is never followed', finishedAt: at() };
  const submission = await readSubmission(job.studentDir, lab.id);
  if (submission.kind === 'not-submitted') return { ...base, status: 'not-submitted', reason: submission.reason, finishedAt: at() };
  const staged = await stageSubmission(submission); // removed on Ctrl-C or SIGTERM too (a temp folder)
  try {
    const result = await grade(lab, {
      dockerfile: { kind: 'path', path: staged.dockerfile },
      ...opts.limits,
      allowImages: opts.allowImages,
      cacheNamespace: cacheNamespace('student', job.student),
      progress: silentProgress,
    });
    return { ...base, status: 'graded', result: { ...result, dockerfile: `${job.student}/labs/${lab.id}/Dockerfile` }, finishedAt: at() };
  } catch (err) {
    // The grader could not do its job (engine gone, disk full, a bug): not the student's zero.
    const reason = err instanceof CannotGrade ? err.message : `the grader failed: ${firstLine(err)}`;
    return { ...base, status: 'could-not-grade', reason, finishedAt: at() };
  } finally {
    await staged.remove();
  }
}

/** The gradebook of everything recorded in `outDir`, written there. */
export async function refreshGradebook(outDir: string, labs: LabColumn[], records: GradeRecord[]): Promise<Gradebook> {
  const book = buildGradebook(records, labs);
  const measured = await readMeasurements();
  const reference = Object.fromEntries(labs.map((l) => [l.id, measured?.labs[l.id]?.solution?.size]));
  await writeGradebook(outDir, book, toHtml(book, reference));
  return book;
}

/**
 * Grade every student's submission for every lab, `concurrency` at a time, saving each
 * record as it finishes; then write the gradebook. With `resume`, records already saved
 * (other than "could not grade") are kept and not graded again.
 */
export async function runBatch(opts: BatchOptions): Promise<BatchOutcome> {
  const students = studentsInShard(await listStudents(opts.submissionsDir), opts.shard);
  const earlier = await loadRecords(opts.outDir);
  if (earlier.length && !opts.resume) {
    throw new CannotGrade(
      `${opts.outDir} already holds ${earlier.length} results from an earlier batch: add --resume to finish that batch, or choose another --out`,
    );
  }
  await requireEngine();
  await requireFreeSpace(opts.minFreeBytes);
  // Every submission's RUN steps run on this machine: without limits, one of them can
  // take the whole class's batch down.
  const fence = await buildFence();
  if ('reason' in fence) {
    if (!opts.allowUnlimitedBuilds)
      throw new CannotGrade(`${unlimitedLine(fence.reason)}: a batch does not start without them (add --allow-unlimited-builds to grade anyway)`);
    opts.progress.log(unlimitedLine(fence.reason));
  } else if (fence.ceiling && !opts.allowUnlimitedBuilds) {
    throw new CannotGrade(`${ceilingLine(fence.ceiling)}: a batch does not start without the ceiling (add --allow-unlimited-builds to grade anyway)`);
  } else if (!opts.allowUnlimitedBuilds) {
    requireBuildLimits(); // and a grade whose steps could not all be limited is "could not grade"
  }

  const done = new Set(earlier.filter(isFinal).map((r) => `${r.student}\u0000${r.lab}`));
  const jobs = students.flatMap((s) =>
    opts.labs
      .filter((lab) => !done.has(`${s.name}\u0000${lab.id}`))
      .map((lab) => ({ student: s.name, lab: lab.id, definition: lab, studentDir: path.join(opts.submissionsDir, s.name), isLink: s.isLink })),
  );
  const counts: BatchOutcome['counts'] = { graded: 0, 'not-submitted': 0, 'could-not-grade': 0 };
  let engineLost = false;
  let stoppedBecause: string | undefined;
  let next = 0;
  opts.progress.start(jobs.length, students.length * opts.labs.length - jobs.length);

  const worker = async () => {
    while (!engineLost && !stoppedBecause) {
      // Claimed before any await: two workers finishing together must not both take the last job.
      const job = jobs[next++];
      if (!job) break;
      // A disk filling up (a build cache grown, an image left) fails every grade after it:
      // stop taking grades instead (the job is not reached); --resume finishes them once there is room.
      const short = await diskShortage(opts.minFreeBytes);
      if (short) {
        stoppedBecause ??= short;
        break;
      }
      // A stopping grader (Ctrl-C, SIGTERM) starts no grade its cleanups would cut.
      if (stoppingBecause()) break;
      const started = Date.now();
      opts.progress.begin(job);
      const record = await gradeOne(job, job.definition, opts);
      // A grade that could not be done because the engine is gone: stop taking new ones.
      if (record.status === 'could-not-grade' && !(await engineAnswers())) engineLost = true;
      await saveRecord(opts.outDir, record);
      counts[record.status]++;
      opts.progress.finish(record, Date.now() - started);
    }
  };
  const started = new Date();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, jobs.length)) }, worker));
  opts.progress.end();
  // A stopping grader's gradebook would be cut by its exit, half written: --resume writes it.
  const why = stoppingBecause();
  if (why) throw new CannotGrade(`the batch ${why}: add --resume to finish it`);
  // The students' own cache mounts (isolated per student) go with the batch that made them.
  if (!engineLost) await removeCacheMountsSince(started).catch(() => undefined);
  if (stoppedBecause) opts.progress.log(`stopped taking grades: ${stoppedBecause}`);

  const notReached = jobs.length - (counts.graded + counts['not-submitted'] + counts['could-not-grade']);
  const names = new Set(students.map((s) => s.name));
  const records = (await loadRecords(opts.outDir)).filter((r) => names.has(r.student));
  const book = await refreshGradebook(opts.outDir, opts.labs.map(labColumn), records);
  return { book, counts, notReached, students: students.length, stoppedBecause };
}
