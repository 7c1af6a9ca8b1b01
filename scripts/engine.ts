/**
 * `npm run engine` — a Docker engine for the kit, the one students have.
 *
 *   npm run engine                        an engine that answers at DOCKER_HOST or the default socket is
 *                                         used as it is; where none does, Docker 28 is brought up here
 *   npm run engine -- --engine 28         Docker 28 (Debian's current docker.io), classic image store
 *   npm run engine -- --containerd-store  Docker 28 with the containerd image store (the default of fresh installs)
 *   npm run engine -- --engine 20.10      the system's docker.io (Debian 12: 20.10) at the default socket
 *   npm run engine -- … --print-env       also print `export DOCKER_HOST=…` lines on stdout: eval "$(npm run -s engine -- --print-env)"
 *   npm run engine -- stop [--containerd-store]
 *
 * Docker 28 runs beside whatever the machine has, touching none of its packages: a root file system of
 * Debian's newest suite made once with mmdebstrap (/var/lib/stagecraft/engines/rootfs-28), dockerd and
 * its containerd chrooted there in a mount namespace and a network namespace of their own
 * (`stagecraft-28`, `stagecraft-28c`). A veth pair and one NAT rule give builds the network; the socket
 * is on the host (/run/stagecraft/engines/<name>/docker.sock) and published ports are reached at the
 * namespace's address, which is what TESTCONTAINERS_HOST_OVERRIDE tells the grader.
 *   STAGECRAFT_ENGINE_WAIT  seconds to wait for an engine to answer (default 60)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { $, which } from 'zx';
import { BED_RUN, bed, bedAddresses } from '../graders/engine/beds.js';
import { scriptConsole } from './console.js';

const WAIT_SECONDS = Number(process.env.STAGECRAFT_ENGINE_WAIT ?? 60);
const STATE = '/var/lib/stagecraft/engines';
const ROOTFS = `${STATE}/rootfs-28`;
const SUITE = 'sid'; // Debian's newest suite: docker.io 28.5, docker-buildx 0.29
const MIRROR = 'http://deb.debian.org/debian';

const { say, fail, quiet, have } = scriptConsole('engine', 1);

/** One Docker 28 beside the system: its namespace, its addresses, its state. */
interface Bed28 {
  name: '28' | '28c';
  containerdStore: boolean;
  netns: string;
  /** The host's end of the veth pair, and the namespace's (where published ports are reached). */
  hostIp: string;
  engineIp: string;
  run: string;
  socket: string;
  env: Record<string, string | undefined>;
}

function bed28(containerdStore: boolean): Bed28 {
  const name = containerdStore ? '28c' : '28';
  const run = `${BED_RUN}/${name}`;
  return { name, containerdStore, netns: `stagecraft-${name}`, ...bedAddresses(name), run, socket: `${run}/docker.sock`, env: bed(name).env };
}

async function answers(env: Record<string, string | undefined>): Promise<string | undefined> {
  const host = env.DOCKER_HOST;
  const client = host?.startsWith('unix://')
    ? new Docker({ socketPath: host.slice('unix://'.length) })
    : host
      ? new Docker()
      : new Docker({ socketPath: '/var/run/docker.sock' });
  try {
    const v = (await Promise.race([client.version(), new Promise<never>((_, r) => setTimeout(() => r(new Error('timeout')), 3000).unref())])) as {
      Version: string;
    };
    return v.Version;
  } catch {
    return undefined;
  }
}

async function waitFor(env: Record<string, string | undefined>, log: string): Promise<string> {
  for (let i = 0; i < WAIT_SECONDS; i++) {
    const version = await answers(env);
    if (version) return version;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n') : '(no log)';
  return fail(`the engine did not answer within ${WAIT_SECONDS}s; the last lines of ${log}:\n${tail}`);
}

function requireRootOnDebian(what: string): Promise<void> {
  return (async () => {
    if (process.getuid?.() !== 0 || !(await have('apt-get')))
      fail(
        `${what} needs root on a Debian/Ubuntu machine; elsewhere start Docker (Docker Desktop, or 'sudo systemctl start docker') and run the kit against it`,
      );
  })();
}

/** Debian's newest suite in a folder of its own, made once and kept. */
async function ensureRootfs(): Promise<void> {
  if (existsSync(`${ROOTFS}/usr/sbin/dockerd`)) return;
  if (!(await have('mmdebstrap'))) {
    say('installing mmdebstrap');
    if (!((await quiet`apt-get update -qq`).ok && (await quiet`apt-get install -y -qq mmdebstrap`).ok)) fail('could not install mmdebstrap with apt-get');
  }
  say(`making Docker 28's root file system from Debian ${SUITE} (about a minute, 450 MB, once)`);
  const tmp = `${ROOTFS}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(STATE, { recursive: true });
  // Snapshot mirrors serve Release files past their Valid-Until: their content is still what was signed.
  const made =
    await quiet`mmdebstrap --variant=minbase --include=docker.io,docker-buildx,containerd,runc,iptables,ca-certificates,procps --aptopt=${'Acquire::Check-Valid-Until "false"'} --aptopt=${'Acquire::Retries "3"'} ${SUITE} ${tmp} ${MIRROR}`;
  if (!made.ok) fail(`mmdebstrap failed: ${made.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  for (const dir of ['var/lib/docker', 'var/lib/containerd', 'etc/docker', 'run/stagecraft']) mkdirSync(`${tmp}/${dir}`, { recursive: true });
  writeFileSync(`${tmp}/etc/resolv.conf`, '');
  renameSync(tmp, ROOTFS);
}

/** The network namespace, its veth pair, and the one NAT rule that lets builds reach the package registries. */
async function ensureNetwork(b: Bed28): Promise<void> {
  const hostEnd = `sc-${b.name}-h`;
  const nsEnd = `sc-${b.name}-n`;
  if (!(await quiet`ip netns pids ${b.netns}`).ok) {
    await $`ip netns add ${b.netns}`;
    await $`ip link add ${hostEnd} type veth peer name ${nsEnd}`;
    await $`ip link set ${nsEnd} netns ${b.netns}`;
    await $`ip addr add ${b.hostIp}/30 dev ${hostEnd}`;
    await $`ip link set ${hostEnd} up`;
    await $`ip -n ${b.netns} addr add ${b.engineIp}/30 dev ${nsEnd}`;
    await $`ip -n ${b.netns} link set ${nsEnd} up`;
    await $`ip -n ${b.netns} link set lo up`;
    await $`ip -n ${b.netns} route add default via ${b.hostIp}`;
  }
  await $`sysctl -qw net.ipv4.ip_forward=1`;
  for (const rule of natRules(b)) {
    if (!(await iptables('-C', rule)).ok && !(await iptables('-I', rule)).ok) fail(`could not add the rule ${rule.chain} ${rule.spec.join(' ')}`);
  }
}

/** Each rule as `-t TABLE` then the chain and its match, so one list serves -C, -I and -D. */
function natRules(b: Bed28): { table: string; chain: string; spec: string[] }[] {
  const hostEnd = `sc-${b.name}-h`;
  // Listed last-inserted-first: -I puts each at the top, so the REJECTs end up above the ACCEPTs.
  return [
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', `${b.engineIp}/32`, '!', '-o', hostEnd, '-j', 'MASQUERADE'] },
    { table: 'filter', chain: 'FORWARD', spec: ['-i', hostEnd, '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', spec: ['-o', hostEnd, '-j', 'ACCEPT'] },
    // What the kit's own rules do on an engine's machine (the grader writes them in its network
    // namespace, not the bed's): the bed opens no connection to this machine's services or to
    // link-local addresses; the registries it reaches are forwarded, the grader's requests answered.
    { table: 'filter', chain: 'FORWARD', spec: ['-i', hostEnd, '-d', '169.254.0.0/16', '-j', 'REJECT'] },
    { table: 'filter', chain: 'INPUT', spec: ['-i', hostEnd, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'REJECT'] },
  ];
}

const iptables = (op: '-C' | '-I' | '-D', r: { table: string; chain: string; spec: string[] }) => quiet`iptables -t ${r.table} ${op} ${r.chain} ${r.spec}`;

/** Start dockerd chrooted in the rootfs, in its own mount and network namespaces, its state kept per bed. */
async function startDocker28(b: Bed28): Promise<void> {
  const state = `${STATE}/${b.name}`;
  for (const dir of ['docker', 'containerd', 'etc-docker']) mkdirSync(`${state}/${dir}`, { recursive: true });
  mkdirSync(b.run, { recursive: true });
  const daemon = {
    features: { 'containerd-snapshotter': b.containerdStore },
    'exec-opts': ['native.cgroupdriver=cgroupfs'],
  };
  writeFileSync(`${state}/etc-docker/daemon.json`, JSON.stringify(daemon, null, 2));
  const root = `${b.run}/root`;
  mkdirSync(root, { recursive: true });
  // The chroot's / must be a mount point (docker load remounts it); /run is its own (with the host's,
  // dockerd would adopt the host's containerd); /sys is the namespace's, with the host's cgroups in it.
  const launch = [
    'set -e',
    `mount --bind ${ROOTFS} ${root}`,
    `mount -t proc proc ${root}/proc`,
    `mount -t sysfs sysfs ${root}/sys`,
    `mount --rbind /sys/fs/cgroup ${root}/sys/fs/cgroup`,
    `mount --rbind /dev ${root}/dev`,
    `mount -t tmpfs tmpfs ${root}/run`,
    `mount -t tmpfs tmpfs ${root}/tmp`,
    `mount --bind ${state}/docker ${root}/var/lib/docker`,
    `mount --bind ${state}/containerd ${root}/var/lib/containerd`,
    `mount --bind ${state}/etc-docker ${root}/etc/docker`,
    `mkdir -p ${root}/run/stagecraft && mount --bind ${b.run} ${root}/run/stagecraft`,
    `cp /etc/resolv.conf ${root}/run/resolv.conf && mount --bind ${root}/run/resolv.conf ${root}/etc/resolv.conf`,
    `exec chroot ${root} /usr/sbin/dockerd -H unix:///run/stagecraft/docker.sock --pidfile /run/stagecraft/dockerd.pid`,
  ].join('\n');
  const log = `${b.run}/dockerd.log`;
  const out = openSync(log, 'a');
  say(`starting Docker 28${b.containerdStore ? ' (containerd image store)' : ''} in network namespace ${b.netns} (log: ${log})`);
  // A daemon outlives this script, so it is spawned detached rather than awaited through zx.
  spawn('nsenter', [`--net=/run/netns/${b.netns}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', launch], {
    detached: true,
    stdio: ['ignore', out, out],
  }).unref();
}

async function stopDocker28(b: Bed28): Promise<void> {
  const pidFile = `${b.run}/dockerd.pid`;
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 30 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 1000));
    } catch {
      /* already gone */
    }
  }
  for (const rule of natRules(b)) await iptables('-D', rule);
  await quiet`ip netns delete ${b.netns}`;
  say(`Docker 28${b.containerdStore ? ' (containerd image store)' : ''} stopped; its images stay in ${STATE}/${b.name}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The system's docker.io (Debian 12: 20.10), installed with apt-get where missing, at the default socket. */
async function startSystemEngine(): Promise<void> {
  const env = { DOCKER_HOST: undefined };
  const version = await answers(env);
  if (version) {
    say(`the system's engine answers: Docker ${version}`);
    return;
  }
  await requireRootOnDebian('starting the system engine');
  const dockerd = (await which('dockerd', { nothrow: true })) ?? '/usr/sbin/dockerd';
  if (!(await have(dockerd))) {
    say("installing the system's docker.io");
    const installed = (await quiet`apt-get update -qq`).ok && (await quiet`apt-get install -y -qq docker.io`).ok;
    if (!installed) fail('could not install docker.io with apt-get; install Docker yourself and run this again');
  }
  const log = '/var/log/stagecraft-dockerd.log';
  // Its pid file, not its name: the Docker 28 beds run a dockerd too.
  const pidFile = '/var/run/docker.pid';
  if (!existsSync(pidFile) || !isAlive(Number(readFileSync(pidFile, 'utf8')))) {
    say(`starting the system's dockerd in the background (log: ${log})`);
    const out = openSync(log, 'a');
    spawn(dockerd, [], { detached: true, stdio: ['ignore', out, out] }).unref();
  }
  say(`the system's engine answers: Docker ${await waitFor(env, log)}`);
}

const { values, positionals } = parseArgs({
  options: {
    engine: { type: 'string' },
    'containerd-store': { type: 'boolean', default: false },
    'print-env': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: true,
  strict: false,
});
if (values.help) {
  process.stdout.write(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('*/')[0]!
      .replace(/^\/\*\*\n/, '')
      .replace(/^ \* ?/gm, ''),
  );
  process.exit(0);
}
const engine = values.engine === undefined ? undefined : String(values.engine);
if (engine !== undefined && !['28', '20.10'].includes(engine)) fail(`--engine takes 28 or 20.10, not '${engine}'`);
if (engine === '20.10' && values['containerd-store']) fail('--containerd-store goes with Docker 28 (20.10 has no containerd image store)');
const print = (env: Record<string, string | undefined>) => {
  if (!values['print-env']) return;
  for (const [k, v] of Object.entries(env)) process.stdout.write(v === undefined ? `unset ${k}\n` : `export ${k}=${v}\n`);
};

if (positionals[0] === 'stop') {
  await stopDocker28(bed28(Boolean(values['containerd-store'])));
  process.exit(0);
}
if (positionals.length) fail(`unknown command '${positionals[0]}': npm run engine [-- --engine 28|20.10] [--containerd-store] [--print-env] | stop`);

if (engine === '20.10') {
  await startSystemEngine();
  print({ DOCKER_HOST: undefined, TESTCONTAINERS_HOST_OVERRIDE: undefined });
  process.exit(0);
}

if (engine === undefined && !values['containerd-store']) {
  // Whatever engine the user runs is the one to grade on.
  const version = await answers({ DOCKER_HOST: process.env.DOCKER_HOST });
  if (version) {
    say(`a Docker engine answers${process.env.DOCKER_HOST ? ` at ${process.env.DOCKER_HOST}` : ''}: Docker ${version}`);
    if (Number(version.split('.')[0]) < 23)
      say('it is older than the engines students have (Docker 28/29): `npm run engine -- --engine 28` brings up Docker 28 beside it');
    print({ DOCKER_HOST: process.env.DOCKER_HOST, TESTCONTAINERS_HOST_OVERRIDE: process.env.TESTCONTAINERS_HOST_OVERRIDE });
    process.exit(0);
  }
  if (process.env.DOCKER_HOST) fail(`no Docker engine answers at DOCKER_HOST=${process.env.DOCKER_HOST}; start that engine, or unset DOCKER_HOST`);
}

const b = bed28(Boolean(values['containerd-store']));
const env = b.env;
const running = await answers(env);
if (running) {
  if (process.getuid?.() === 0) await ensureNetwork(b); // rules a newer kit adds, on a bed already up
  say(`Docker ${running}${b.containerdStore ? ' (containerd image store)' : ''} answers at ${env.DOCKER_HOST}`);
} else {
  await requireRootOnDebian('bringing up Docker 28');
  await ensureRootfs();
  await ensureNetwork(b);
  await startDocker28(b);
  say(`Docker ${await waitFor(env, `${b.run}/dockerd.log`)}${b.containerdStore ? ' (containerd image store)' : ''} answers at ${env.DOCKER_HOST}`);
}
say(`use it with: export DOCKER_HOST=${env.DOCKER_HOST} TESTCONTAINERS_HOST_OVERRIDE=${env.TESTCONTAINERS_HOST_OVERRIDE}`);
print(env);
