import { formatDuration, plural } from '../format/bytes.js';
import { shortPath, whereFrom } from '../findings/index.js';
import type { ImageFacts } from '../inspect/image.js';
import type { FileEntry } from '../inspect/layers.js';
import type { KnownContent } from '../findings/index.js';
import { APP_DEFAULTS, type LabApp } from '../run/app.js';
import type { RunResult } from '../run/container.js';
import { catalogueEntry } from '../images/catalogue.js';
import { describe, finalBaseImage, finalChain, type DockerInstruction, type ParsedDockerfile } from '../lint/dockerfile.js';
import type { ParseResult } from '../lint/dockerfile.js';
import { CHECK_INFO, fillIn } from './registry.js';
import { fail, pass, type Check, type Evidence, type Verdict } from './types.js';

export interface RunsOptions {
  /** The slide that explains what usually keeps this lab's app from starting. */
  slide?: string;
}

/** Failures that have one well-known cause, and the hint that teaches it. */
const SIGNATURES: { test: (r: RunResult) => boolean; hint: string }[] = [
  // The engine would not create or start the image: the student's Dockerfile, not the grader.
  {
    test: (r) => /no command specified/i.test(r.refused ?? ''),
    hint: 'The final image does not say what to run: end the final stage with ENTRYPOINT in the JSON form, e.g. ENTRYPOINT ["/app"] (scratch and distroless have no shell to run a plain string).',
  },
  {
    test: (r) => /\buser\b/i.test(r.refused ?? ''),
    hint: 'USER names a user the final image does not know: scratch has no user database, so give a numeric id (USER 65532:65532); distroless knows `nonroot`.',
  },
  {
    test: (r) => /exec|no such file|not found/i.test(r.refused ?? ''),
    hint: 'ENTRYPOINT/CMD names a program that is not in the final image: compare it with the path your COPY --from puts the binary at (ENTRYPOINT ["/app"] needs a file at /app).',
  },
  {
    test: (r) => r.refused !== undefined,
    hint: 'The engine would not start this image (its reason is above): check ENTRYPOINT, CMD and USER in the final stage.',
  },
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
    test: (r) =>
      [...r.logTail, ...r.probes.map((p) => p.problem ?? '')].some((l) =>
        /x509|certificate signed by unknown authority|unable to get local issuer certificate/i.test(l),
      ),
    hint: 'The app cannot verify HTTPS certificates: the final image has no CA bundle. Copy /etc/ssl/certs/ca-certificates.crt from the build stage (`COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/`), or use gcr.io/distroless/static-debian13, which has it.',
  },
  {
    test: (r) => r.oomKilled === true,
    hint: 'The app used more memory than the grade allows (the message names the limit). Find what holds the memory: a cache or buffer that grows without bound, a runtime sized for a bigger machine (a JVM without -XX:MaxRAMPercentage, Node without --max-old-space-size), or a leak; the app must run within that limit.',
  },
  {
    test: (r) => r.exitCode === undefined && !r.ready,
    hint: 'The app must listen on 0.0.0.0 (not 127.0.0.1) on the port the lab names; check that the image starts the app (ENTRYPOINT/CMD).',
  },
];

/** The final image's ENTRYPOINT and CMD as the Dockerfile wrote them (the last of each in the final stage's chain). */
function startInstructions(df: ParsedDockerfile): { entrypoint?: DockerInstruction; cmd?: DockerInstruction } {
  const all = finalChain(df).flatMap((s) => s.instructions);
  const last = (k: string) => all.filter((i) => i.keyword.toUpperCase() === k).at(-1);
  return { entrypoint: last('ENTRYPOINT'), cmd: last('CMD') };
}

const isShellForm = (i: DockerInstruction | undefined): i is DockerInstruction => Boolean(i && !i.args.trim().startsWith('['));
/** `ENTRYPOINT /wordsmith --port 8080` → `["/wordsmith", "--port", "8080"]`: the same words in the JSON form. */
const jsonForm = (args: string) =>
  `[${args
    .trim()
    .split(/\s+/)
    .map((w) => JSON.stringify(w))
    .join(', ')}]`;

/**
 * The hint for a shell-form ENTRYPOINT or CMD in an image that cannot run it: Docker runs
 * the shell form as `/bin/sh -c "…"`, and scratch and distroless have no shell; on an image
 * whose own ENTRYPOINT is `java -jar`, a CMD becomes that entrypoint's arguments.
 */
export function startFormHint(lint: ParseResult, imageEntrypoint: string[] = []): string | undefined {
  if (!lint.ok) return undefined;
  const base = finalBaseImage(lint.dockerfile);
  const noShell = base === 'scratch' || catalogueEntry(base)?.traits.shell === false;
  const { entrypoint, cmd } = startInstructions(lint.dockerfile);
  if (isShellForm(entrypoint) && noShell) {
    return `\`${describe(entrypoint)}\` (Dockerfile line ${entrypoint.line}) is in the shell form: Docker runs it as \`/bin/sh -c "${entrypoint.args.trim()}"\`, and ${base} has no /bin/sh. Write it in the JSON form, which runs the program directly: \`ENTRYPOINT ${jsonForm(entrypoint.args)}\`.`;
  }
  if (isShellForm(cmd) && !entrypoint) {
    const own = imageEntrypoint.filter((w) => !(w === '/bin/sh' || w === '-c'));
    const javaJar = own.some((w) => /(^|\/)java$/.test(w)) && own.includes('-jar');
    if (javaJar) {
      const jar =
        cmd.args
          .trim()
          .split(/\s+/)
          .find((w) => /\.jar$/i.test(w)) ?? '/app/app.jar';
      return `\`${describe(cmd)}\` (Dockerfile line ${cmd.line}) is in the shell form, and ${base} already starts \`${own.join(' ')}\` itself: its CMD is only the arguments of that ENTRYPOINT, so it must name only the jar, in the JSON form: \`CMD ["${jar}"]\`.`;
    }
    if (noShell) {
      return `\`${describe(cmd)}\` (Dockerfile line ${cmd.line}) is in the shell form: Docker runs it as \`/bin/sh -c "${cmd.args.trim()}"\`, and ${base} has no /bin/sh. Write it in the JSON form: \`CMD ${jsonForm(cmd.args)}\`.`;
    }
  }
  return undefined;
}

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
  return (image.files ?? []).some(
    (o) => o !== f && o.layer === f.layer && o.path.startsWith(folder) && o.sha256 !== undefined && known.byHash.get(o.sha256)?.image === 'the lab folder',
  );
}

/** Where this build's stamp sits that no compiled app puts it: the proof the app was not built here. */
export function stampOutsideTheApp(image: ImageFacts, stampIn: LabApp['stampIn'], known?: KnownContent): { file: FileEntry; why: string } | undefined {
  const layers = image.layers ?? [];
  const shown = (f: FileEntry) => (f.inArchive ? `${shortPath(f.path)} in the archive /${shortPath(f.inArchive)}` : `/${shortPath(f.path)}`);
  const at = (f: FileEntry) => (layers.length ? ` (${whereFrom(f.layer, layers)})` : '');
  const inJar = (f: FileEntry) => stampIn === 'jar' && Boolean(f.inArchive?.toLowerCase().endsWith('.jar'));
  for (const f of [...(image.files ?? []), ...(image.members ?? [])]) {
    if (!f.needle || !isServable(f) || (f.inArchive && image.files?.find((a) => a.path === f.inArchive && a.layer === f.layer)?.deletedIn !== undefined))
      continue;
    // Loose compiled classes carry their resources (the stamp) beside them: unpacked, but built here.
    const besideClasses =
      stampIn === 'jar' &&
      !f.inArchive &&
      (image.files ?? []).some((o) => o.layer === f.layer && o.path.endsWith('.class') && o.path.startsWith(f.path.slice(0, f.path.lastIndexOf('/') + 1)));
    if (f.needle === 'whole' && !inJar(f) && !besideClasses && !cameWithTheSources(f, image, known))
      return { file: f, why: `the final image ships this build's stamp as a file of its own: ${shown(f)}${at(f)}` };
    const compiled =
      f.compiled || inJar(f) || (stampIn === 'javascript' && /\.(m|c)?[jt]s(\.map)?$/.test(f.path)) || (stampIn === 'jar' && /\.jar$/i.test(f.path));
    if (f.needle === 'inside' && !compiled) return { file: f, why: `this build's stamp is in ${shown(f)}${at(f)}, a data file, not compiled into the app` };
  }
  return undefined;
}

/** What of the lab's app the judgement reads. */
type RunFacts = Pick<LabApp, 'port' | 'stampPath' | 'stampIn'> & Partial<Pick<LabApp, 'stampFile' | 'stampCode'>>;

/** The hint that says how to try the app by hand, on the lab's own port. */
const tryItHint = (port: number) =>
  fillIn(CHECK_INFO.runs.hint, "`docker run --rm -p <port>:<port> <image>` with the lab's port", `\`docker run --rm -p ${port}:${port} <image>\``);

/** `runs`: the pipeline runs the lab's app (its port, ready path and probes: the lab's `app`); this judges what happened. */
export const runs = (opts: RunsOptions = {}): Check => ({
  id: 'runs',
  ...CHECK_INFO.runs,
  slide: opts.slide ?? CHECK_INFO.runs.slide,
  needs: ['run'],
  findStamp: true,
  evaluate(evidence) {
    const app: RunFacts = evidence.app ?? APP_DEFAULTS;
    const verdict = judgeRun(evidence, app);
    return { ...verdict, hint: verdict.hint ?? tryItHint(app.port) };
  },
});

function judgeRun({ run, image, stamp: nonce, known, lint }: Evidence, app: RunFacts): Verdict {
  if (!run) return fail('the container was not started');
  const details = { readyMs: run.readyMs, exitCode: run.exitCode, probes: run.probes, logTail: run.logTail };
  const misplaced = nonce && image?.files ? stampOutsideTheApp(image, app.stampIn, known) : undefined;
  if (misplaced) {
    return fail(
      `${misplaced.why}: ${app.stampPath} must be answered by an app built in this Dockerfile from the lab's sources, which compiles the stamp in`,
      { ...details, stampFile: misplaced.file.inArchive ? `${misplaced.file.inArchive}!/${misplaced.file.path}` : `/${misplaced.file.path}` },
      "Build the app in the Dockerfile from the lab's sources (a build stage that compiles them), and copy only what it built into the final image: the stamp file itself, or a copy of it, proves nothing.",
    );
  }
  if (!run.ready) return fail(summary(run), details, startFormHint(lint, image?.entrypoint) ?? SIGNATURES.find((s) => s.test(run))?.hint);
  const failed = run.probes.filter((p) => !p.ok);
  if (failed.length) {
    const first = failed[0]!;
    const stampHint = first.name.includes("this build's stamp")
      ? `${app.stampPath} must answer what the grader wrote into its copy of the lab folder just before this build${app.stampCode ? ` (the stamp in ${app.stampFile ?? 'stamp.txt'}, a new stamp function in ${app.stampCode.file})` : ''}: build the app in the Dockerfile from the lab's sources, those files among them, so both are compiled in.`
      : undefined;
    return fail(
      `${first.name} ${first.problem}${failed.length > 1 ? ` (${failed.length - 1} more probes failed)` : ''}`,
      details,
      SIGNATURES.find((s) => s.test(run))?.hint ?? stampHint,
    );
  }
  return pass(`answered within ${formatDuration(run.readyMs ?? 0)} of starting; ${plural(run.probes.length, 'probe')} answered correctly`, details);
}
