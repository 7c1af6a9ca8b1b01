import { formatBytes, plural } from '../format/bytes.js';
import type { LayerSummary } from '../inspect/image.js';
import { describe } from '../lint/dockerfile.js';
import { oneLine } from '../format/text.js';
import type { Finding } from './finding.js';

/**
 * "layer 3 of 9, added by `RUN go build .` (Dockerfile line 7)" or
 * "layer 2 of 9, from the base image golang:1.24-trixie (FROM on line 1)":
 * the words every finding uses to say where something came from.
 */
export function whereFrom(layer: number, layers: LayerSummary[]): string {
  const origin = layers[layer];
  const position = `layer ${layer + 1} of ${layers.length}`;
  if (origin?.instruction) return `${position}, added by \`${oneLine(describe(origin.instruction))}\` (Dockerfile line ${origin.instruction.line})`;
  if (origin?.baseImage) return `${position}, from the base image ${origin.baseImage}${origin.from ? ` (FROM on line ${origin.from.line})` : ''}`;
  return position;
}

/** Long paths keep their start and their file name: /root/.npm/_cacache/…/94/43/a9a0…39 */
export function shortPath(path: string, max = 72): string {
  // A file name is the student's text: no control character reaches a report raw.
  const p = oneLine(path);
  if (p.length <= max) return p;
  const slash = p.lastIndexOf('/');
  const dir = p.slice(0, slash + 1);
  const name = p.slice(slash + 1);
  // The folders stay whole when they leave the name half the room: the name is cut in its
  // middle, never into a folder that does not exist (`lists/deb.debian.org_…/deb.debian…`).
  const room = max - dir.length;
  if (room >= max / 2) return `${dir}${cutMiddle(name, room)}`;
  const tail = name.length > max / 2 ? `${name.slice(0, max / 4)}…${name.slice(-max / 4)}` : name;
  return `${dir.slice(0, max - tail.length - 2)}…/${tail}`;
}

/** `deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages.lz4` → `deb.debian.org_debia…md64_Packages.lz4`: both ends kept. */
function cutMiddle(name: string, max: number): string {
  if (name.length <= max) return name;
  const keep = Math.max(max - 1, 2);
  return `${name.slice(0, Math.ceil(keep / 2))}…${name.slice(name.length - Math.floor(keep / 2))}`;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

const LAB = 'the lab folder';

/** "`/opt/x/fmt` is the Go toolchain's gofmt, renamed (/usr/lib/go-1.24/bin/gofmt in golang:1.24-trixie)": a file recognised by its bytes. */
function recognised(f: Finding): string {
  const same = f.sameAs!;
  const how = base(same.path) !== base(f.example) ? 'renamed' : 'moved';
  const where = f.inArchive ? `\`${shortPath(f.example)}\` in the archive /${shortPath(f.inArchive)}` : `\`/${shortPath(f.example)}\``;
  return `${where} is ${f.what}'s ${base(same.path)}, ${how} (/${shortPath(same.path, 60)} in ${same.image}; ${formatBytes(Math.max(f.exampleBytes, 0))})`;
}

/** A file that is a copy of one of the lab's own files, wherever it was put. */
function labCopy(f: Finding): string {
  const largest = `${f.inArchive ? `${shortPath(f.example)} in the archive /${shortPath(f.inArchive)}` : `/${shortPath(f.example)}`} (${formatBytes(Math.max(f.exampleBytes, 0))})`;
  const copy = `a copy of the lab's ${f.sameAs!.path}`;
  if (f.files === 1) return `${f.what}: ${largest}, ${copy}`;
  const folder = f.folder ? `, in /${shortPath(f.folder)}/` : '';
  return `${f.what}: ${f.files} of the lab's files, ${formatBytes(f.bytes)} in all${folder} (the largest ${largest}, ${copy})`;
}

/**
 * "gcc: /usr/bin/gcc-14 (1.2 MB), layer 3 of 7, added by `RUN apt-get install gcc`
 * (Dockerfile line 4)", or for many files "npm's cache: 660 files, 58 MB in all, in
 * /root/.npm/_cacache/ (the largest /root/…/94/43/a9a0…39, 10.5 MB), layer 8 of 9, …";
 * a file recognised by its bytes says what it really is, or that it is known by what is
 * inside it; an archive's files name the archive; plus "deleted in layer 5, but still
 * shipped" when a later layer removed them.
 */
export function describeFinding(f: Finding, layers: LayerSummary[]): string {
  if (f.setting) return `${f.what}: ${f.setting}${f.line ? `, set on Dockerfile line ${f.line}` : ', set by the base image'}`;
  const largest = `/${shortPath(f.example)} (${formatBytes(Math.max(f.exampleBytes, 0))})`;
  let what: string;
  if (f.sameAs?.image === LAB) {
    what = labCopy(f);
  } else if (f.sameAs) {
    const where = f.inArchive ? `, inside the archive /${shortPath(f.inArchive)}` : ', copied out of its place';
    what = f.files === 1 ? recognised(f) : `${f.what}${where}: ${plural(f.files, 'file')}, ${formatBytes(f.bytes)} in all (the largest: ${recognised(f)})`;
  } else if (f.inArchive) {
    const archive = `/${shortPath(f.inArchive)}`;
    what = `${f.what}, inside the archive ${archive}: ${shortPath(f.example)} (${formatBytes(Math.max(f.exampleBytes, 0))})${f.files > 1 ? ` and ${plural(f.files - 1, 'more file')}, ${formatBytes(f.bytes)} in all` : ''}`;
  } else if (f.files === 1) {
    what = `${f.what}: ${largest}`;
  } else if (f.folder.split('/').length >= 2) {
    what = `${f.what}: ${plural(f.files, 'file')}, ${formatBytes(f.bytes)} in all, in /${shortPath(f.folder)}/ (the largest ${largest})`;
  } else {
    what = `${f.what}: ${largest} and ${plural(f.files - 1, 'more file')}, ${formatBytes(f.bytes)} in all`;
  }
  // A file called `helper` named as gcc needs its reason: what is inside it, whatever it is called.
  if (f.byContent) what += `, recognised as part of ${f.what} by what is inside ${f.files === 1 ? 'it, not by its name' : 'them, not by their names'}`;
  const where = f.layer === undefined ? '' : `, ${whereFrom(f.layer, layers)}`;
  return `${what}${where}${f.deletedIn !== undefined && f.kind !== 'deleted-but-shipped' ? `; deleted in layer ${f.deletedIn + 1}, but still shipped` : ''}`;
}

/** At most this many findings are listed in a message, one a line; the rest are counted. */
export const LISTED = 6;

/**
 * One line per distinct finding, most important first (the caller sorts), up to a
 * handful, then "and N more (every one is in the JSON details)".
 */
export function listFindings(findings: Finding[], layers: LayerSummary[], max = LISTED): string {
  // Each kind of thing found gets a line before a second finding of the same kind does.
  const firsts = findings.filter((f, i) => findings.findIndex((g) => g.what === f.what) === i);
  const ordered = [...firsts, ...findings.filter((f) => !firsts.includes(f))];
  const lines = ordered.slice(0, max).map((f) => `found ${describeFinding(f, layers)}`);
  if (findings.length > max) lines.push(`and ${findings.length - max} more (every finding is in the JSON details)`);
  return lines.join('\n');
}

/**
 * The findings as JSON details: the shape `stagecraft explain --json` shares (`kind`,
 * `what`, `path`, `size`, `layer`, `line`), 1-based layers, and the group's figures.
 */
export function findingJson(f: Finding, layers: LayerSummary[]) {
  return {
    kind: f.kind,
    what: f.what,
    path: f.setting ? undefined : f.inArchive ? `/${f.inArchive}!/${f.example}` : `/${f.example}`,
    size: f.bytes,
    layer: f.layer === undefined ? undefined : f.layer + 1,
    line: f.line,
    files: f.files,
    bytes: f.bytes,
    example: f.example,
    exampleBytes: f.exampleBytes,
    folder: f.folder,
    deletedIn: f.deletedIn === undefined ? undefined : f.deletedIn + 1,
    inArchive: f.inArchive,
    sameAs: f.sameAs,
    setting: f.setting,
    fromBase: f.fromBase,
    where: f.layer === undefined ? undefined : whereFrom(f.layer, layers),
  };
}

export const findingDetails = (findings: Finding[], layers: LayerSummary[]) => findings.map((f) => findingJson(f, layers));
