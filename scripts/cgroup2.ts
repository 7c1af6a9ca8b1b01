/**
 * `npm run test:cgroup2` — the build fence proven on cgroup v2, on a machine that has v1.
 *
 *   npm run test:cgroup2                            make the bed if needed, boot it once, run every case
 *   npm run test:cgroup2 -- --cases memory-hog,sleeper   only these (the pids probe always runs first)
 *   npm run test:cgroup2 -- --debug                 and the fence's own account (STAGECRAFT_FENCE_DEBUG) in run/console.log
 *
 * A VM under qemu-system-x86_64 (TCG: no KVM needed) boots Debian's own kernel with only the
 * unified cgroup hierarchy (cgroup_no_v1=all; nothing mounts v1), runs Docker 28 (Debian sid's
 * docker.io, containerd, runc) and sid's Node on a root file system made with mmdebstrap, and
 * sees this repository through virtio-9p, read-only. Inside, as root: the build fence's probe,
 * then the build-time hostile cases graded as test/integration/hostile.test.ts grades them, each
 * followed by a look for what it left behind (containers, grade images, temporary folders,
 * processes, step cgroups). Prints a table; exits 1 on any difference, 2 when the bed could not
 * be made or the VM said nothing.
 *
 * Everything it makes is under /var/lib/stagecraft/cgroup2 and reused: rootfs/ (with the base
 * images' tars baked in), disk.img (booted with snapshot=on: every run starts from the same disk),
 * run/ (the last run: console.log, dockerd.log, results.jsonl). Needs root on Debian/Ubuntu.
 *   STAGECRAFT_CGROUP2_TIMEOUT  seconds the VM may run (default 5400)
 *   STAGECRAFT_CGROUP2_MEMORY   the VM's memory in MiB (default 3584)
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { CASE_KEYS, ENGINE_QUIET_S, TCG_SLOWDOWN, type GuestLine } from './cgroup2/shared.js';
import { scriptConsole } from './console.js';

const BED = '/var/lib/stagecraft/cgroup2';
const ROOTFS = `${BED}/rootfs`;
const DISK = `${BED}/disk.img`;
const RUN = `${BED}/run`;
const IMAGES_IN_VM = '/var/lib/stagecraft-images';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUITE = 'sid'; // docker.io 28.5, containerd, runc, nodejs, linux-image-amd64
const MIRROR = 'http://deb.debian.org/debian';
const PACKAGES = [
  'linux-image-amd64',
  'initramfs-tools',
  'docker.io',
  'containerd',
  'runc',
  'iptables',
  'iproute2', // lo up: the grader probes a graded container's port on 127.0.0.1
  'ca-certificates',
  'procps',
  'kmod',
  'mount',
  'nodejs',
];
/** The base images the cases build FROM, saved from this machine's engine and baked into the disk. */
const BASE_IMAGES = ['debian:trixie-slim'];
const DISK_SIZE = '12G'; // the disk filler may write 6 GB where the fence fails; the fence keeps 1 GB free
const TIMEOUT_S = Number(process.env.STAGECRAFT_CGROUP2_TIMEOUT ?? 5400);
const MEMORY_MIB = Number(process.env.STAGECRAFT_CGROUP2_MEMORY ?? 3584);

const { say, fail, quiet, have } = scriptConsole('cgroup2', 2);

/**
 * PID 1 on the disk: mounts what the repository's guest.sh needs to run, then hands over to it,
 * so that changing the bed's steps never means remaking the disk.
 */
const STUB_INIT = `#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev 2>/dev/null
modprobe 9pnet_virtio; modprobe 9p
mkdir -p /repo /out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,ro repo /repo
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 out /out
exec /bin/sh /repo/scripts/cgroup2/guest.sh
`;

async function ensureTools(): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !(await have('apt-get'))) fail('the cgroup v2 bed needs root on a Debian/Ubuntu machine');
  const wanted = [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['mmdebstrap', 'mmdebstrap'],
    ['mke2fs', 'e2fsprogs'],
  ].filter(([command]) => !existsSync(`/usr/bin/${command}`) && !existsSync(`/usr/sbin/${command}`));
  if (wanted.length === 0) return;
  say(`installing ${wanted.map(([, p]) => p).join(', ')}`);
  const ok = (await quiet`apt-get update -qq`).ok && (await quiet`apt-get install -y -qq --no-install-recommends ${wanted.map(([, p]) => p!)}`).ok;
  if (!ok) fail(`could not install ${wanted.map(([, p]) => p).join(', ')} with apt-get`);
}

const kernelFiles = () => {
  const boot = existsSync(`${ROOTFS}/boot`) ? readdirSync(`${ROOTFS}/boot`) : [];
  const version = boot.find((f) => f.startsWith('vmlinuz-'))?.slice('vmlinuz-'.length);
  // the kernel's own initrd (not a .dpkg-bak left beside it)
  return version && boot.includes(`initrd.img-${version}`)
    ? { kernel: `${ROOTFS}/boot/vmlinuz-${version}`, initrd: `${ROOTFS}/boot/initrd.img-${version}` }
    : undefined;
};

/** Debian sid with its kernel, Docker 28 and Node, made once (a few minutes, about 1 GB). */
async function ensureRootfs(): Promise<void> {
  // A bed made before iproute2 was in PACKAGES is made again: without `ip` the VM's loopback stays down.
  if (existsSync(`${ROOTFS}/usr/sbin/dockerd`) && existsSync(`${ROOTFS}/usr/bin/ip`) && kernelFiles()) return;
  say(`making the VM's root file system from Debian ${SUITE} with mmdebstrap (once; minutes)`);
  const tmp = `${ROOTFS}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(BED, { recursive: true });
  // Snapshot mirrors serve Release files past their Valid-Until: their content is still what was signed.
  const made =
    await quiet`mmdebstrap --variant=minbase --include=${PACKAGES.join(',')} --aptopt=${'Acquire::Check-Valid-Until "false"'} --aptopt=${'Acquire::Retries "3"'} ${SUITE} ${tmp} ${MIRROR}`;
  if (!made.ok) fail(`mmdebstrap failed: ${made.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  rmSync(ROOTFS, { recursive: true, force: true });
  renameSync(tmp, ROOTFS);
}

/** The stub init and the base images' tars, in the root file system the disk is made from. */
async function ensureRootfsContents(): Promise<boolean> {
  let changed = false;
  const stub = `${ROOTFS}/sbin/stagecraft-init`;
  if (!existsSync(stub) || readFileSync(stub, 'utf8') !== STUB_INIT) {
    writeFileSync(stub, STUB_INIT, { mode: 0o755 });
    changed = true;
  }
  mkdirSync(`${ROOTFS}${IMAGES_IN_VM}`, { recursive: true });
  for (const ref of BASE_IMAGES) {
    const tar = `${ROOTFS}${IMAGES_IN_VM}/${ref.replace(/[:/]/g, '_')}.tar`;
    if (existsSync(tar)) continue;
    say(`saving ${ref} from this machine's engine into the VM's disk`);
    const saved = await quiet`docker save -o ${`${tar}.partial`} ${ref}`;
    if (!saved.ok) fail(`could not save ${ref} from this machine's engine (${saved.stderr.trim().split('\n')[0]}); run \`npm run images\` first`);
    renameSync(`${tar}.partial`, tar);
    changed = true;
  }
  return changed;
}

/** An ext4 disk of the root file system, made again when the root file system changed. */
async function ensureDisk(rootfsChanged: boolean): Promise<void> {
  if (existsSync(DISK) && !rootfsChanged && statSync(DISK).mtimeMs > statSync(`${ROOTFS}/usr/sbin/dockerd`).mtimeMs) return;
  say(`making the VM's disk (${DISK_SIZE}, sparse) from the root file system`);
  rmSync(DISK, { force: true });
  const made = await quiet`mke2fs -q -t ext4 -L stagecraft-cgroup2 -d ${ROOTFS} ${`${DISK}.partial`} ${DISK_SIZE}`;
  if (!made.ok) fail(`mke2fs failed: ${made.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  renameSync(`${DISK}.partial`, DISK);
}

/**
 * The guest runner as one file (dist/cgroup2/guest.mjs): under TCG, tsx transpiling it module by
 * module over 9p took six minutes. Each module's `import.meta.url` is kept as its own source's
 * address (relative to the bundle), so it still finds its fixtures, labs and repository root;
 * packages stay in node_modules.
 */
async function bundleGuest(): Promise<void> {
  if (!(await quiet`node ${path.join(REPO, 'bin', 'build.mjs')}`).ok) fail('could not compile the graders (node bin/build.mjs)');
  const out = path.join(REPO, 'dist', 'cgroup2', 'guest.mjs');
  await build({
    entryPoints: [path.join(REPO, 'scripts', 'cgroup2', 'guest.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
    plugins: [
      {
        name: 'own-import-meta-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            // A grader module's address is its compiled twin's (dist/graders/…js, made by `npm ci`):
            // lab.ts loads the labs' graders from beside itself, and node runs those as JavaScript.
            const graders = path.relative(path.join(REPO, 'graders'), args.path);
            const address = graders.startsWith('..') ? args.path : path.join(REPO, 'dist', 'graders', graders.replace(/\.ts$/, '.js'));
            const relative = path.relative(path.dirname(out), address);
            const text = readFileSync(args.path, 'utf8').replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`);
            return { contents: text, loader: 'ts' };
          });
        },
      },
    ],
  });
}

/** One boot: the guest runs its cases and powers off; the serial console goes to run/console.log. */
async function boot(cases: string[], debug: boolean): Promise<{ code: number | null; timedOut: boolean }> {
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(`${RUN}/tmp`, { recursive: true });
  const files = kernelFiles()!;
  const append = [
    'console=ttyS0',
    'root=/dev/vda',
    'rw',
    'init=/sbin/stagecraft-init',
    'cgroup_no_v1=all', // the unified hierarchy only, as on GitHub's runners and current distributions
    'panic=-1',
    'quiet',
    `stagecraft.timeout=${TIMEOUT_S - 120}`,
    `stagecraft.cases=${cases.join(',')}`,
    ...(debug ? ['stagecraft.debug=1'] : []),
  ].join(' ');
  const args = [
    ...['-machine', 'q35', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', String(MEMORY_MIB)],
    ...['-kernel', files.kernel, '-initrd', files.initrd, '-append', append],
    ...['-drive', `file=${DISK},format=raw,if=virtio,snapshot=on`],
    ...['-virtfs', `local,path=${REPO},mount_tag=repo,security_model=none,readonly=on`],
    ...['-virtfs', `local,path=${RUN},mount_tag=out,security_model=none`],
    ...['-nic', 'none', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'],
  ];
  say(`booting: qemu-system-x86_64 ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const console = createWriteStream(`${RUN}/console.log`);
  // snapshot=on keeps the VM's writes in a temporary file: here, not in /var/tmp.
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: `${RUN}/tmp` } });
  let pending = '';
  const started = Date.now();
  const onData = (chunk: Buffer) => {
    console.write(chunk);
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines)
      if (line.includes('stagecraft-guest:'))
        say(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line.replace(/\r$/, '').slice(line.indexOf('stagecraft-guest:') + 18, 400)}`);
  };
  qemu.stdout.on('data', onData);
  qemu.stderr.on('data', onData);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    say(`the VM ran past ${TIMEOUT_S} s: stopping it`);
    qemu.kill('SIGTERM');
    setTimeout(() => qemu.kill('SIGKILL'), 10_000).unref();
  }, TIMEOUT_S * 1000);
  const stopOnSignal = () => qemu.kill('SIGTERM');
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const code = await new Promise<number | null>((resolve) => qemu.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  console.end();
  say(`the VM stopped after ${((Date.now() - started) / 1000).toFixed(0)} s (console: ${RUN}/console.log)`);
  return { code, timedOut };
}

const cell = (s: string, width: number) => (s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width));
/** A `builds` message from its Dockerfile line on (the instruction is in the case's name): "line 4: was stopped: …". */
const fromLine = (s: string) =>
  s
    .replace(/^\^?/, '')
    .replace(/\$$/, '')
    .replace(/^.*?\\?\(Dockerfile line (\d+)\\?\) /, 'line $1: ');

/** The table, and whether everything was as on cgroup v1. */
function report(lines: GuestLine[], cases: string[]): boolean {
  let ok = true;
  const engine = lines.find((l) => l.kind === 'engine');
  const probe = lines.find((l) => l.kind === 'probe');
  const error = lines.find((l) => l.kind === 'error');
  process.stdout.write(
    `\nengine in the VM: ${engine && engine.kind === 'engine' ? `Docker ${engine.version} (up after ${engine.seconds.toFixed(0)} s)` : 'never answered'}\n`,
  );
  if (!probe || probe.kind !== 'probe') {
    process.stdout.write('the probe did not run\n');
    ok = false;
  } else if (!probe.ok) {
    process.stdout.write(`the probe: build limits are off: ${probe.reason} (${probe.seconds.toFixed(1)} s)\n`);
    ok = false;
  } else {
    const s = probe.site;
    process.stdout.write(
      `the probe (${probe.seconds.toFixed(1)} s): step groups in ${s.parent.controllers.pids?.dir} (cgroup v${s.parent.controllers.pids?.version}; ` +
        `memory v${s.parent.controllers.memory?.version}, cpu ${s.parent.controllers.cpu ? `v${s.parent.controllers.cpu.version}` : 'none'}, unified ${s.parent.unified ?? 'none'}), ` +
        `named ${s.leaf.prefix}<step id>${s.leaf.suffix}; bundles in ${s.execRoot}; data root ${s.dataRoot}\n  the step said: ${probe.inside}\n`,
    );
  }
  const groups = lines.find((l) => l.kind === 'groups');
  if (groups && groups.kind === 'groups' && groups.left.length) {
    process.stdout.write(`step cgroups left after the probe: ${groups.left.join(', ')}\n`);
    ok = false;
  }
  const rows = lines.filter((l): l is Extract<GuestLine, { kind: 'case' }> => l.kind === 'case');
  const w = { key: 14, expected: 60, seen: 70 };
  process.stdout.write(
    `\n${'case'.padEnd(w.key)} | ${'expected (builds ✗, as on cgroup v1)'.padEnd(w.expected)} | ${'seen'.padEnd(w.seen)} | contained? | seconds\n`,
  );
  process.stdout.write(`${'-'.repeat(w.key)}-|-${'-'.repeat(w.expected)}-|-${'-'.repeat(w.seen)}-|------------|--------\n`);
  for (const r of rows) {
    const contained = r.problems.length === 0 && r.left.length === 0;
    ok &&= contained;
    process.stdout.write(
      `${cell(r.key, w.key)} | ${cell(fromLine(r.expected), w.expected)} | ${cell(fromLine(r.seen), w.seen)} | ${(contained ? 'yes' : 'NO').padEnd(10)} | ${r.seconds.toFixed(1).padStart(7)}\n`,
    );
  }
  process.stdout.write(`\nseen from outside the grader (the steps' cgroups, the firewall, the engine's CPU for ${ENGINE_QUIET_S} s after):\n`);
  for (const r of rows) process.stdout.write(`${cell(r.key, w.key)} | ${r.outside ?? '—'}\n`);
  const rules = lines.find((l) => l.kind === 'rules');
  if (rules && rules.kind === 'rules' && rules.left.length) {
    process.stdout.write(`\nfirewall rules left after the last grade: ${rules.left.join(' | ')}\n`);
    ok = false;
  }
  for (const r of rows.filter((r) => r.problems.length || r.left.length)) {
    process.stdout.write(`\n${r.key}: ${r.name}\n${[...r.problems, ...r.left.map((l) => `left behind: ${l}`)].map((p) => `  ${p}`).join('\n')}\n`);
  }
  const ran = new Set(rows.map((r) => r.key));
  const missing = ['pids-probe', ...cases].filter((k) => !ran.has(k));
  if (missing.length) {
    process.stdout.write(`\nno result for: ${missing.join(', ')}\n`);
    ok = false;
  }
  if (error && error.kind === 'error') {
    process.stdout.write(`\nthe runner in the VM failed: ${error.message}\n`);
    ok = false;
  }
  const end = lines.find((l) => l.kind === 'end');
  process.stdout.write(
    `\n(case time bounds ×${TCG_SLOWDOWN} under TCG; runner ${end && end.kind === 'end' ? `done in ${end.seconds.toFixed(0)} s` : 'did not finish'})\n`,
  );
  return ok;
}

const { values } = parseArgs({ options: { cases: { type: 'string' }, debug: { type: 'boolean', default: false } }, strict: true });
const cases = values.cases ? values.cases.split(',') : Object.keys(CASE_KEYS);
const unknown = cases.filter((c) => !(c in CASE_KEYS));
if (unknown.length) fail(`unknown case(s) ${unknown.join(', ')}; the cases are ${Object.keys(CASE_KEYS).join(', ')}`);
if (!existsSync(`${REPO}/node_modules/tsx/dist/cli.mjs`)) fail('run `npm ci` first: the VM runs the repository as it is here');

await ensureTools();
await ensureRootfs();
await ensureDisk(await ensureRootfsContents());
await bundleGuest();
const { timedOut } = await boot(cases, Boolean(values.debug));
const results = existsSync(`${RUN}/results.jsonl`)
  ? readFileSync(`${RUN}/results.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as GuestLine)
  : [];
if (results.length === 0) {
  const tail = existsSync(`${RUN}/console.log`) ? readFileSync(`${RUN}/console.log`, 'utf8').trim().split('\n').slice(-15).join('\n') : '(no console output)';
  fail(`the VM${timedOut ? ` ran past ${TIMEOUT_S} s and` : ''} reported nothing; the console's last lines:\n${tail}`);
}
process.exitCode = report(results, cases) && !timedOut ? 0 : 1;
