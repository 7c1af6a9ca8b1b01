import { formatDuration, plural } from '../format/bytes.js';
import { health, stamp, type ProbeFactory } from '../run/probes.js';
import type { RunResult } from '../run/container.js';
import { fail, pass, type Check } from './types.js';

export interface RunsOptions {
  /** The port the app listens on; 8080 unless the lab says otherwise. */
  port?: number;
  /** Polled until it answers 200, then probed again; `/healthz` by default. */
  health?: string;
  /** Must answer this build's stamp; `/stamp` by default. */
  stamp?: string;
  /** The lab's own probes, sent after the health and stamp probes. */
  probes: ProbeFactory[];
  /** The slide that explains what usually keeps this lab's app from starting. */
  slide?: string;
}

/** Failures that have one well-known cause, and the hint that teaches it. */
const SIGNATURES: { test: (r: RunResult) => boolean; hint: string }[] = [
  {
    // A dynamically linked binary in scratch: the kernel cannot find its loader (ld-linux).
    test: (r) => r.exitCode !== undefined && r.logTail.some((l) => /exec .*no such file or directory/i.test(l)),
    hint: 'The binary is in the image but cannot start: it is linked against the C library, which scratch does not have. Build a static binary with `CGO_ENABLED=0 go build …`, or use a base that has libc (gcr.io/distroless/base-debian13).',
  },
  {
    test: (r) => r.exitCode !== undefined && r.logTail.some((l) => /executable file not found|not found in \$PATH/i.test(l)),
    hint: 'The command the image starts is not in the final image: check the path you COPY the binary to and the path in ENTRYPOINT/CMD (scratch has no shell, so use the JSON form: ENTRYPOINT ["/app"]).',
  },
  {
    test: (r) => r.oomKilled === true,
    hint: 'The app used more memory than the grader allows; it must run within the limit the lab names.',
  },
  {
    test: (r) => r.exitCode === undefined && !r.ready,
    hint: 'The app must listen on 0.0.0.0 (not 127.0.0.1) on the port the lab names; check that the image starts the app (ENTRYPOINT/CMD).',
  },
];

function summary(run: RunResult): string {
  const tail = run.logTail.at(-1);
  return `${run.problem}${tail ? `; its last output: ${JSON.stringify(tail.slice(0, 160))}` : ''}`;
}

export const runs = (options: RunsOptions): Check => {
  const opts = { port: 8080, health: '/healthz', stamp: '/stamp', ...options };
  return {
    id: 'runs',
    title: `the container starts and answers every probe on port ${opts.port}, this build's stamp included`,
    hint: 'Run it yourself: `docker run --rm -p 8080:8080 <image>` and open the path that failed. The app must be built from the lab\'s sources in the Dockerfile, not copied in prebuilt.',
    slide: opts.slide ?? 'slides/03-go.md#3',
    needs: ['run'],
    run: { port: opts.port, readyPath: opts.health, probes: [health(opts.health), stamp(opts.stamp), ...opts.probes] },
    evaluate({ run }) {
      if (!run) return fail('the container was not started');
      const details = { readyMs: run.readyMs, exitCode: run.exitCode, probes: run.probes, logTail: run.logTail };
      if (!run.ready) return fail(summary(run), details, SIGNATURES.find((s) => s.test(run))?.hint);
      const failed = run.probes.filter((p) => !p.ok);
      if (failed.length) {
        const first = failed[0]!;
        return fail(`${first.name} ${first.problem}${failed.length > 1 ? ` (${failed.length - 1} more probes failed)` : ''}`, details);
      }
      return pass(`answered within ${formatDuration(run.readyMs ?? 0)} of starting; ${plural(run.probes.length, 'probe')} answered correctly`, details);
    },
  };
};
