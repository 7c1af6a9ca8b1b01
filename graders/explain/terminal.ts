import pc from 'picocolors';
import type { FindingKind } from '../findings/index.js';
import { formatBytes, formatDuration, plural } from '../format/bytes.js';
import { oneLine, visible } from '../format/text.js';
import { slideReference } from '../kit/slide-ref.js';
import type { Explanation, LayerView } from './explanation.js';

/** At most this many findings are listed; `--json` and `--html` have every one. */
export const LISTED_FINDINGS = 12;

const KINDS: FindingKind[] = ['toolchain', 'cache', 'secret', 'deleted-but-shipped', 'root'];

/** The kinds' names in the report's margin: short enough to keep the findings' lines wide. */
const LABEL: Record<FindingKind, string> = { toolchain: 'toolchain', cache: 'cache', secret: 'secret', 'deleted-but-shipped': 'deleted', root: 'root' };

const CLEAN: Record<FindingKind, (e: Explanation) => string> = {
  toolchain: () => 'no build toolchain (Go, gcc, the JDK, Node.js and npm, Python headers, Rust, make)',
  cache: () => 'no package-manager caches (apt, npm, yarn, pip, Go)',
  secret: () => 'no secret files in any layer, and none in the image config',
  'deleted-but-shipped': () => 'no large files that a later layer deletes but still ships',
  root: (e) => `runs as "${oneLine(e.user)}", not root`,
};

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(1, width - 1))}…` : text);

/** "line 7: RUN go build ." / "RUN apt-get …" / "golang:1.24-trixie: RUN apt-get …" */
export function layerOrigin(l: LayerView): string {
  if (l.instruction?.line) return `line ${l.instruction.line}: ${l.instruction.text}`;
  if (l.instruction) return l.instruction.text;
  if (l.base) return `${l.base}${l.history ? `: ${l.history}` : ''}`;
  return l.history || '(no history)';
}

function bar(share: number, width = 12): string {
  const full = Math.round(Math.max(0, Math.min(1, share)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** "toolchains 540 MB, caches 90 MB, 1 secret, runs as root" */
function summary(e: Explanation): string {
  const parts: string[] = [];
  const bytes = (k: FindingKind) => e.findings.filter((f) => f.kind === k).reduce((s, f) => s + f.bytes, 0);
  const count = (k: FindingKind) => e.findings.filter((f) => f.kind === k).length;
  if (count('toolchain')) parts.push(`toolchains ${formatBytes(bytes('toolchain'))}`);
  if (count('cache')) parts.push(`caches ${formatBytes(bytes('cache'))}`);
  if (count('secret')) parts.push(plural(count('secret'), 'secret'));
  if (count('deleted-but-shipped')) parts.push(`deleted but shipped ${formatBytes(bytes('deleted-but-shipped'))}`);
  if (count('root')) parts.push('runs as root');
  return parts.join(', ');
}

/**
 * The grader's style for an image: where its bytes are, layer by layer, with the
 * instruction or base image that made each; then a ✗ per finding with what to do and
 * the slide to read, and a ✓ for each kind of problem the image does not have.
 */
export function renderExplanation(e: Explanation, color = pc.isColorSupported, width = 110): string {
  const c = pc.createColors(color);
  const lines: string[] = [];
  lines.push(c.bold(`stagecraft explain · ${oneLine(e.ref)}`) + c.dim(` · ${formatBytes(e.size)} in ${plural(e.layers.length, 'layer')}`));
  if (e.build) {
    if (e.build.ok)
      lines.push(c.dim(`built from ${oneLine(e.build.dockerfile)} (context ${oneLine(e.build.context)}) in ${formatDuration(e.build.durationMs)}`));
    else {
      lines.push(`${c.red('✗ the build failed')}${e.build.failedLine ? ` at line ${e.build.failedLine}` : ''}: ${oneLine(e.build.error ?? 'no image')}`);
      if (e.build.explainedUpTo) lines.push(c.yellow(`  below: the image as far as the build got, up to line ${e.build.explainedUpTo}`));
    }
  }
  lines.push('', c.bold('layers, bottom first'));
  const sizeWidth = Math.max(...e.layers.map((l) => formatBytes(l.size).length), 4);
  for (const l of e.layers) {
    const head = `${String(l.index + 1).padStart(4)}  ${formatBytes(l.size).padStart(sizeWidth)}  ${c.cyan(bar(e.size ? l.size / e.size : 0))}  `;
    const origin = oneLine(layerOrigin(l));
    lines.push(head + (l.instruction?.line ? origin : c.dim(cut(origin, width - 22 - sizeWidth))).slice(0, 4 * width));
  }

  lines.push('', c.bold('findings'));
  const kindWidth = Math.max(...KINDS.map((k) => LABEL[k].length));
  const pad = ' '.repeat(kindWidth + 3);
  for (const f of e.findings.slice(0, LISTED_FINDINGS)) {
    lines.push(`${c.red('✗')} ${c.red(LABEL[f.kind].padEnd(kindWidth))} ${visible(f.description).replaceAll('\n', ' ')}`);
    lines.push(`${pad}${c.cyan('do:')}   ${visible(f.todo).replaceAll('\n', ' ')}`);
    lines.push(`${pad}${c.cyan('read:')} ${slideReference(f.slide)}`);
  }
  if (e.findings.length > LISTED_FINDINGS) lines.push(c.dim(`  … and ${e.findings.length - LISTED_FINDINGS} more (--json and --html list every finding)`));
  for (const kind of KINDS) {
    if (!e.findings.some((f) => f.kind === kind)) lines.push(`${c.green('✓')} ${LABEL[kind].padEnd(kindWidth)} ${CLEAN[kind](e)}`);
  }

  lines.push('');
  for (const note of e.notes) lines.push(c.dim(`note: ${visible(note)}`));
  const verdict = e.findings.length
    ? `${plural(e.findings.length, 'finding')}: ${summary(e)}`
    : c.green('nothing to fix: no toolchain, cache or secret, and not root');
  const incomplete = e.complete ? '' : ` ${c.red('— incomplete, see above')}`;
  lines.push(`${verdict}${incomplete} ${c.dim(`(${formatDuration(e.durationMs)})`)}`);
  return `${lines.join('\n')}\n`;
}
