import { readFileSync, readdirSync } from 'node:fs';
import { $, which } from 'zx';
import { docker, followToEnd } from '../engine/docker.js';

/** The last non-empty line of a command's output: what a one-line error quotes. */
export const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() ?? '';

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

/** An output store for zx that keeps only the last `keep` chunks. */
class Recent extends Array<string | Buffer> {
  constructor(private readonly keep: number) {
    super();
  }
  override push(...chunks: (string | Buffer)[]): number {
    super.push(...chunks);
    if (this.length > this.keep) this.splice(0, this.length - this.keep);
    return this.length;
  }
}

const have = async (command: string) => Boolean(await which(command, { nothrow: true }));

/** mmdebstrap is the one host tool a stand-in needs; install it where we can. */
export async function ensureMmdebstrap(log: (line: string) => void): Promise<void> {
  if (await have('mmdebstrap')) return;
  const root = process.getuid?.() === 0;
  if (!root || !(await have('apt-get'))) {
    throw new Error('building stand-in base images needs mmdebstrap (apt-get install mmdebstrap) on a Debian/Ubuntu host');
  }
  log('installing mmdebstrap with apt-get');
  const apt = $({ quiet: true, nothrow: true, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const r = (await apt`apt-get update -qq`).exitCode === 0 ? await apt`apt-get install -y -qq mmdebstrap` : undefined;
  if (r?.exitCode !== 0) throw new Error('could not install mmdebstrap with apt-get');
}

/**
 * Build a Debian trixie root file system with mmdebstrap and import it as `ref`,
 * streaming the tarball (nothing is written to disk but the image itself).
 */
export async function importRootfs(ref: string, labels: Record<string, string>, log: (line: string) => void): Promise<void> {
  await ensureMmdebstrap(log);
  const mirror = debianMirror();
  // stdout is the tarball, streamed straight into the engine's import and never kept in
  // memory (zx keeps a command's output by default); of stderr, the last lines for the error.
  const store = { stdout: new Recent(0), stderr: new Recent(50), stdall: new Recent(0) };
  const mmdebstrap = $({ quiet: true, nothrow: true, store })`mmdebstrap --quiet ${MMDEBSTRAP_ARGS} ${mirror ? [mirror] : []}`;
  const [repo, tag] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
  const changes = ['CMD ["bash"]', ...Object.entries(labels).map(([k, v]) => `LABEL ${k}="${v}"`)];
  const stream = await docker().importImage(mmdebstrap.stdout, { repo, tag, changes });
  await followToEnd(stream);
  const done = await mmdebstrap;
  if (done.exitCode !== 0) throw new Error(`mmdebstrap failed (exit ${done.exitCode}): ${lastLine(done.stderr)}`);
}
