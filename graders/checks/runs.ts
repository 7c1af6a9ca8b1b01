import { formatDuration, plural } from '../format/bytes.js';
import { shortPath, whereFrom } from '../findings/index.js';
import type { ImageFacts } from '../inspect/image.js';
import type { FileEntry } from '../inspect/layers.js';
import type { KnownContent } from '../findings/index.js';
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
  /**
   * What the stamp is compiled into: a program or library (`binary`: Go, a C extension),
   * the app's JavaScript (`javascript`), or a jar's resources (`jar`). Anywhere else, it is
   * data a prebuilt app could read at run time: the image was not built from these sources.
   */
  stampIn?: 'binary' | 'javascript' | 'jar';
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
    // A program built against a library the final image lacks (libstdc++ for a jlink JVM on distroless base, libc for cgo).
    test: (r) => r.logTail.some((l) => /cannot open shared object file|error while loading shared libraries/i.test(l)),
    hint: 'The program starts but a shared library it was linked against is not in the final image (the log names it). Copy it in, or pick a base that has it: gcr.io/distroless/cc-debian13 has libstdc++ and libgcc (a jlink runtime needs them), distroless base has glibc; a static Go binary (CGO_ENABLED=0) needs none.',
  },
  {
    // HTTPS without CA certificates: scratch has none.
    test: (r) => [...r.logTail, ...r.probes.map((p) => p.problem ?? '')].some((l) => /x509|certificate signed by unknown authority|unable to get local issuer certificate/i.test(l)),
    hint: 'The app cannot verify HTTPS certificates: the final image has no CA bundle. Copy /etc/ssl/certs/ca-certificates.crt from the build stage (`COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/`), or use gcr.io/distroless/static-debian13, which has it.',
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

const isServable = (f: FileEntry) => f.deletedIn === undefined && f.type === 'file';

/**
 * A stamp file that came along with the lab's sources (`COPY . .` ships stamp.txt next to
 * main.go): shipping the sources is no-toolchain's finding, not proof of a fake build.
 */
function cameWithTheSources(f: FileEntry, image: ImageFacts, known: KnownContent | undefined): boolean {
  if (!known || f.inArchive) return false;
  const folder = f.path.slice(0, f.path.lastIndexOf('/') + 1);
  return (image.files ?? []).some((o) => o !== f && o.layer === f.layer && o.path.startsWith(folder) && o.sha256 !== undefined && known.byHash.get(o.sha256)?.image === 'the lab folder');
}

/** Where this build's stamp sits that no compiled app puts it: the proof the app was not built here. */
export function stampOutsideTheApp(image: ImageFacts, stampIn: RunsOptions['stampIn'], known?: KnownContent): { file: FileEntry; why: string } | undefined {
  const layers = image.layers ?? [];
  const shown = (f: FileEntry) => (f.inArchive ? `${shortPath(f.path)} in the archive /${shortPath(f.inArchive)}` : `/${shortPath(f.path)}`);
  const at = (f: FileEntry) => (layers.length ? ` (${whereFrom(f.layer, layers)})` : '');
  const inJar = (f: FileEntry) => stampIn === 'jar' && Boolean(f.inArchive?.toLowerCase().endsWith('.jar'));
  for (const f of [...(image.files ?? []), ...(image.members ?? [])]) {
    if (!f.needle || !isServable(f) || (f.inArchive && image.files?.find((a) => a.path === f.inArchive && a.layer === f.layer)?.deletedIn !== undefined)) continue;
    // Loose compiled classes carry their resources (the stamp) beside them: unpacked, but built here.
    const besideClasses = stampIn === 'jar' && !f.inArchive && (image.files ?? []).some((o) => o.layer === f.layer && o.path.endsWith('.class') && o.path.startsWith(f.path.slice(0, f.path.lastIndexOf('/') + 1)));
    if (f.needle === 'whole' && !inJar(f) && !besideClasses && !cameWithTheSources(f, image, known)) return { file: f, why: `the final image ships this build's stamp as a file of its own: ${shown(f)}${at(f)}` };
    const compiled = f.compiled || inJar(f) || (stampIn === 'javascript' && /\.(m|c)?[jt]s(\.map)?$/.test(f.path)) || (stampIn === 'jar' && /\.jar$/i.test(f.path));
    if (f.needle === 'inside' && !compiled) return { file: f, why: `this build's stamp is in ${shown(f)}${at(f)}, a data file, not compiled into the app` };
  }
  return undefined;
}

export const runs = (options: RunsOptions): Check => {
  const opts = { port: 8080, health: '/healthz', stamp: '/stamp', ...options };
  return {
    id: 'runs',
    title: `the container starts and answers every probe on port ${opts.port}, this build's stamp included`,
    hint: 'Run it yourself: `docker run --rm -p 8080:8080 <image>` and open the path that failed. The app must be built from the lab\'s sources in the Dockerfile, not copied in prebuilt.',
    slide: opts.slide ?? 'slides/03-go.md#2',
    needs: ['run'],
    run: { port: opts.port, readyPath: opts.health, probes: [health(opts.health), stamp(opts.stamp), ...opts.probes] },
    findStamp: true,
    evaluate({ run, image, stamp: nonce, known }) {
      if (!run) return fail('the container was not started');
      const details = { readyMs: run.readyMs, exitCode: run.exitCode, probes: run.probes, logTail: run.logTail };
      const misplaced = nonce && image?.files ? stampOutsideTheApp(image, opts.stampIn ?? 'binary', known) : undefined;
      if (misplaced) {
        return fail(
          `${misplaced.why}: ${opts.stamp} must be answered by an app built in this Dockerfile from the lab's sources, which compiles the stamp in`,
          { ...details, stampFile: misplaced.file.inArchive ? `${misplaced.file.inArchive}!/${misplaced.file.path}` : `/${misplaced.file.path}` },
          "Build the app in the Dockerfile from the lab's sources (a build stage that compiles them), and copy only what it built into the final image: the stamp file itself, or a copy of it, proves nothing.",
        );
      }
      if (!run.ready) return fail(summary(run), details, SIGNATURES.find((s) => s.test(run))?.hint);
      const failed = run.probes.filter((p) => !p.ok);
      if (failed.length) {
        const first = failed[0]!;
        return fail(`${first.name} ${first.problem}${failed.length > 1 ? ` (${failed.length - 1} more probes failed)` : ''}`, details, SIGNATURES.find((s) => s.test(run))?.hint);
      }
      return pass(`answered within ${formatDuration(run.readyMs ?? 0)} of starting; ${plural(run.probes.length, 'probe')} answered correctly`, details);
    },
  };
};
