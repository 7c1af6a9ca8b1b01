import pc from 'picocolors';
import { statusLine } from '../report/progress.js';
import type { GradeRecord } from './records.js';

export interface BatchJob {
  student: string;
  lab: string;
}

/** How a batch reports as it goes. Always stderr: stdout is for results. */
export interface BatchProgress {
  start(total: number, alreadyDone: number): void;
  begin(job: BatchJob): void;
  finish(record: GradeRecord, ms: number): void;
  log(text: string): void;
  end(): void;
}

function describeRecord(r: GradeRecord): string {
  if (r.status === 'not-submitted') return pc.dim(`not submitted (${r.reason})`);
  if (r.status === 'could-not-grade') return pc.yellow(`could not grade: ${r.reason}`);
  const res = r.result!;
  return res.passed ? pc.green(`${res.score}/${res.maxScore} passed`) : pc.red(`${res.score}/${res.maxScore}`);
}

const duration = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

/**
 * On a terminal: a live line — graded / total, what is running, time left — above which
 * each finished grade is printed. Elsewhere (CI logs): one plain line per finished grade.
 */
export function batchProgress(concurrency: number, stream: NodeJS.WriteStream = process.stderr): BatchProgress {
  const out = statusLine(stream);
  let total = 0;
  let done = 0;
  const running = new Set<string>();
  const times: number[] = [];
  const key = (j: BatchJob) => `${j.student} · ${j.lab}`;
  const status = () => {
    const avg = times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0;
    const left = avg ? ` · about ${duration((avg * (total - done)) / concurrency)} left` : '';
    return `graded ${done}/${total}${running.size ? ` · now: ${[...running.keys()].join(', ')}` : ''}${left}`;
  };
  return {
    start(count, alreadyDone) {
      total = count;
      out.print(pc.dim(`› ${count} grades to do${alreadyDone ? ` (${alreadyDone} already done, kept)` : ''}, ${concurrency} at a time`));
      out.status(status());
    },
    begin(job) {
      running.add(key(job));
      out.status(status());
    },
    finish(record, ms) {
      running.delete(key(record));
      done++;
      times.push(ms);
      out.print(`[${done}/${total}] ${record.student} · ${record.lab}: ${describeRecord(record)} ${pc.dim(`(${duration(ms)})`)}`);
      out.status(status());
    },
    log: (text) => out.print(text),
    end: () => out.stop(),
  };
}

export const silentBatchProgress: BatchProgress = { start() {}, begin() {}, finish() {}, log() {}, end() {} };
