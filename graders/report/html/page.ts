import type { Explanation, ExplainedFinding, LayerView } from '../../explain/explanation.js';
import { explanationJson } from '../../explain/explanation.js';
import type { TreeNode } from '../../explain/treemap.js';
import type { FindingKind } from '../../findings/index.js';
import { formatBytes, formatDuration, formatMinuteUtc, plural } from '../../format/bytes.js';
import { htmlText, oneLine, visible } from '../../format/text.js';
import { slideReference } from '../../kit/slide-ref.js';
import type { GradeResult } from '../../pipeline/result.js';
import { CLIENT_JS } from './client.js';
import { PAGE_CSS } from './style.js';
import { outcome } from '../outcome.js';

/** Every page carries this; a file without it is not one of ours and is never overwritten. */
export const PAGE_MARK = '<meta name="generator" content="stagecraft explain">';

export interface PageInput {
  explanation: Explanation;
  tree: TreeNode;
  /** A grade's result: its checks go on top. */
  grade?: GradeResult;
  /** Extra text for the header (what was graded, when). */
  generatedAt?: Date;
}

const escape = (text: string) => htmlText(visible(text));

/** JSON inside a <script> element: nothing in it can close the element or start another. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** Layers' colours: cool hues only, so that no layer looks like a finding (red, amber, purple). */
export const LAYER_HUES = [205, 165, 228, 140, 188, 248, 120, 215, 178, 235];
const hue = (layer: number) => LAYER_HUES[layer % LAYER_HUES.length]!;

const KIND_WORDS: Record<FindingKind, (n: number, bytes: number) => string> = {
  toolchain: (_, b) => `toolchains ${formatBytes(b)}`,
  cache: (_, b) => `caches ${formatBytes(b)}`,
  secret: (n) => plural(n, 'secret'),
  'deleted-but-shipped': (_, b) => `deleted but shipped ${formatBytes(b)}`,
  root: () => 'runs as root',
};

function chips(e: Explanation): string {
  const kinds: FindingKind[] = ['toolchain', 'cache', 'secret', 'deleted-but-shipped', 'root'];
  const out = kinds.flatMap((k) => {
    const of = e.findings.filter((f) => f.kind === k);
    if (!of.length) return [];
    const cls = k === 'deleted-but-shipped' ? 'deleted' : k;
    return [
      `<span class="chip ${cls}">${escape(
        KIND_WORDS[k](
          of.length,
          of.reduce((s, f) => s + f.bytes, 0),
        ),
      )}</span>`,
    ];
  });
  return out.length ? out.join('') : '<span class="chip clean">no toolchain, cache or secret; not root</span>';
}

function checksSection(result: GradeResult): string {
  const rows = result.checks.map((c) => {
    const state = c.skipped ? 'skip' : c.passed ? 'pass' : 'fail';
    const mark = c.skipped ? '–' : c.passed ? '✓' : '✗';
    const first = c.message.split('\n')[0] ?? '';
    const title = c.passed || c.skipped ? c.message : `${c.message}\n\nhint: ${c.hint}\nread: ${slideReference(c.slide)}`;
    return `<div class="check ${state}" title="${escape(title)}"><span class="mark">${mark}</span><span class="id">${escape(c.id)}</span><span class="msg">${escape(oneLine(first))}</span></div>`;
  });
  const verdict = outcome(result).text;
  return `<section id="checks"><h2>${result.score}/${result.maxScore} checks passed — ${escape(verdict)} <small>(hover a check for its hint)</small></h2>${rows.join('')}</section>`;
}

function whereLine(f: ExplainedFinding, layers: LayerView[]): string {
  if (f.layer === undefined) return f.line ? `the image config, set on line ${f.line}` : 'the image config';
  const l = layers[f.layer];
  const origin = l?.instruction
    ? l.instruction.line
      ? `line ${l.instruction.line}: ${l.instruction.text}`
      : l.instruction.text
    : l?.base
      ? `from the base image ${l.base}`
      : '';
  const deleted = f.deletedIn !== undefined ? `; deleted ${f.deletedLine ? `on line ${f.deletedLine}` : `in layer ${f.deletedIn + 1}`}, still shipped` : '';
  return `layer ${f.layer + 1}${origin ? ` · ${origin}` : ''}${deleted}`;
}

function findingItem(f: ExplainedFinding, i: number, layers: LayerView[]): string {
  const size = f.bytes > 0 ? `<span class="size">${formatBytes(f.bytes)}</span>` : '';
  const files = f.files > 1 ? ` <span class="where">(${plural(f.files, 'file')})</span>` : '';
  return `<li class="finding ${f.kind}" data-finding="${i}" tabindex="0" title="${escape(f.description)}">${size}<span class="kind">${f.kind}</span><span class="what">${escape(f.what)}</span>${files}
<div class="where">${escape(f.setting ?? (f.files ? `/${f.inArchive ? `${f.inArchive}!/` : ''}${f.example}` : ''))}</div>
<div class="where">${escape(whereLine(f, layers))}</div>
<div class="todo">${escape(f.todo)}</div><div class="read">read: ${escape(slideReference(f.slide))}</div></li>`;
}

function layerItem(l: LayerView, total: number): string {
  const share = total > 0 ? Math.max(l.size > 0 ? 1 : 0, Math.round((l.size / total) * 100)) : 0;
  const origin = l.instruction
    ? `${l.instruction.line ? `<span class="line">line ${l.instruction.line}</span>` : ''}${escape(l.instruction.text)}`
    : `<span class="base">${escape(l.base ? `${l.base}${l.history ? ': ' : ' '}` : '')}</span>${escape(l.history || (l.base ? '' : '(no history)'))}`;
  const title = l.instruction
    ? `${l.instruction.stage !== undefined ? `stage ${l.instruction.stage} · ` : ''}${l.instruction.text}`
    : `${l.base ? `from the base image ${l.base}: ` : ''}${l.history}`;
  return `<li class="layer" data-layer="${l.index}" tabindex="0" title="${escape(title)}"><span class="n">${l.index + 1}</span><span class="bytes">${formatBytes(l.size)}</span><span class="bar"><i style="width:${share}%;background:hsl(${hue(l.index)},38%,58%)"></i></span><span class="origin">${origin}</span></li>`;
}

/**
 * One self-contained page (inline style and script, a Content-Security-Policy that
 * forbids every request): the image's size and findings on top (a grade's checks above
 * them), the zoomable treemap of its bytes — layer → folder → file, findings in colour —
 * and beside it the findings with what to do, and the layers with their Dockerfile lines.
 */
export function renderPage({ explanation: e, tree, grade, generatedAt = new Date() }: PageInput): string {
  const title = grade ? `stagecraft grade · ${grade.lab}` : `stagecraft explain · ${e.ref}`;
  const heading = grade
    ? `<span class="tool">stagecraft grade ·</span> ${escape(grade.lab)} <span class="tool">· ${escape(grade.dockerfile)}</span>`
    : `<span class="tool">stagecraft explain ·</span> ${escape(e.ref)}`;
  const failed =
    e.build && !e.build.ok
      ? `The build failed${e.build.failedLine ? ` at line ${e.build.failedLine}` : ''}: ${e.build.error ?? ''}. Shown: the image as far as it got${e.build.explainedUpTo ? `, up to line ${e.build.explainedUpTo}` : ''}.`
      : undefined;
  // What made the explanation incomplete goes first, in red; the rest of the notes after it.
  const [bad, ...rest] = e.complete
    ? [undefined, ...e.notes]
    : failed
      ? [failed, ...e.notes.filter((n) => !n.startsWith('the build failed'))]
      : [e.notes[0] ?? 'This explanation is incomplete.', ...e.notes.slice(1)];
  const notes = [
    ...(bad ? [`<div class="note bad">${escape(bad)}</div>`] : []),
    `<div class="note">${escape([...rest, `${e.id ? `${e.id.slice(0, 19)}, ` : ''}${formatMinuteUtc(generatedAt)}${e.durationMs > 0 ? `, ${grade ? 'graded' : e.build ? 'built and explained' : 'explained'} in ${formatDuration(e.durationMs)}` : ''}`].join(' · '))}</div>`,
  ];
  const cleanKinds = (['toolchain', 'cache', 'secret'] as const).filter((k) => !e.findings.some((f) => f.kind === k));
  const clean = cleanKinds.length
    ? `<p class="clean-kinds">✓ no ${cleanKinds.map((k) => (k === 'toolchain' ? 'build toolchain' : k === 'cache' ? 'package-manager cache' : 'secret')).join(', no ')}</p>`
    : '';
  const data = { explanation: explanationJson(e), tree, hues: LAYER_HUES };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${PAGE_MARK}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escape(title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
<h1>${heading}</h1>
<div class="total">${formatBytes(e.size)}<small>in ${plural(e.layers.length, 'layer')}</small></div>
<div class="chips">${chips(e)}</div>
${notes.join('\n')}
</header>
${grade ? checksSection(grade) : ''}
<main>
<section id="map-panel">
<nav id="crumbs" aria-label="treemap zoom"></nav>
<div id="treemap" role="img" aria-label="treemap of the image's bytes: layers, folders, files"></div>
<div id="legend"><span class="toolchain">build toolchain</span><span class="cache">package cache</span><span class="secret">secret</span><span class="deleted">deleted by a later layer, still shipped</span><span class="other">other files (colour: their layer)</span></div>
</section>
<aside>
<section id="findings-panel"><h2>Findings <small>${e.findings.length ? `${e.findings.length} · click one to see its files` : 'none'}</small></h2>
<ol id="findings">${e.findings.map((f, i) => findingItem(f, i, e.layers)).join('\n')}</ol>${clean}</section>
<section id="layers-panel"><h2>Layers <small>bottom first · click one to zoom in</small></h2>
<ol id="layers">${e.layers.map((l) => layerItem(l, e.size)).join('\n')}</ol></section>
</aside>
</main>
<div id="tip" hidden></div>
<script id="data" type="application/json">${scriptJson(data)}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}
