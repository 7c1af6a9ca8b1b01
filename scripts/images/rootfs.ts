import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { docker, followToEnd } from '../../graders/engine/docker.js';

/**
 * Upstream Debian images clean apt's caches after every install and keep no translations;
 * a stand-in does the same, so `apt-get install` in a student's Dockerfile behaves alike.
 */
const APT_DOCKER_CLEAN = [
  'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
  'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
  'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";',
].join('\n');

/** The options that make a true slim base: like upstream's slim images, no docs, man pages or locales. */
export const MMDEBSTRAP_ARGS = [
  '--variant=minbase',
  '--dpkgopt=path-exclude=/usr/share/man/*',
  '--dpkgopt=path-exclude=/usr/share/doc/*',
  '--dpkgopt=path-include=/usr/share/doc/*/copyright',
  '--dpkgopt=path-exclude=/usr/share/info/*',
  '--dpkgopt=path-exclude=/usr/share/locale/*',
  '--dpkgopt=path-exclude=/usr/share/lintian/*',
  '--aptopt=APT::Install-Recommends "false"',
  `--customize-hook=printf '${APT_DOCKER_CLEAN}\\n' > "$1/etc/apt/apt.conf.d/docker-clean"`,
  `--customize-hook=printf 'Acquire::Languages "none";\\n' > "$1/etc/apt/apt.conf.d/docker-no-languages"`,
  '--customize-hook=rm -f "$1"/var/cache/apt/*.bin',
  'trixie',
  '-', // the tarball goes to stdout, straight into `docker import`
];

/**
 * The Debian mirror this machine's apt already uses (so the stand-in fetches from where
 * the host does); STAGECRAFT_DEBIAN_MIRROR overrides it; with neither, mmdebstrap's default.
 */
export function debianMirror(): string | undefined {
  if (process.env.STAGECRAFT_DEBIAN_MIRROR) return process.env.STAGECRAFT_DEBIAN_MIRROR;
  const texts: string[] = [];
  try {
    texts.push(readFileSync('/etc/apt/sources.list', 'utf8'));
  } catch {
    // no one-line sources file
  }
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d')) texts.push(readFileSync(`/etc/apt/sources.list.d/${f}`, 'utf8'));
  } catch {
    // no sources.list.d
  }
  for (const text of texts) {
    const uris = [...text.matchAll(/^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)/gm)].map((m) => m[1]!);
    const debian = uris.find((u) => /^https?:\/\/.*\/debian\/?$/.test(u));
    if (debian) return debian;
  }
  return undefined;
}

function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** mmdebstrap is the one host tool a stand-in needs; install it where we can. */
export function ensureMmdebstrap(log: (line: string) => void): void {
  if (have('mmdebstrap')) return;
  const root = process.getuid?.() === 0;
  if (!root || !have('apt-get')) {
    throw new Error('building stand-in base images needs mmdebstrap (apt-get install mmdebstrap) on a Debian/Ubuntu host');
  }
  log('installing mmdebstrap with apt-get');
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error('could not install mmdebstrap with apt-get');
}

/**
 * Build a Debian trixie root file system with mmdebstrap and import it as `ref`,
 * streaming the tarball (nothing is written to disk but the image itself).
 */
export async function importRootfs(ref: string, labels: Record<string, string>, log: (line: string) => void): Promise<void> {
  ensureMmdebstrap(log);
  const mirror = debianMirror();
  const child = spawn('mmdebstrap', ['--quiet', ...MMDEBSTRAP_ARGS, ...(mirror ? [mirror] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));

  const [repo, tag] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
  const changes = ['CMD ["bash"]', ...Object.entries(labels).map(([k, v]) => `LABEL ${k}="${v}"`)];
  const stream = await docker().importImage(child.stdout, { repo, tag, changes });
  await followToEnd(stream);
  const code = await exited;
  if (code !== 0) throw new Error(`mmdebstrap failed (exit ${code}): ${stderr.trim().split('\n').pop()}`);
}
