import { formatBytes, formatMinuteUtc } from '../format/bytes.js';
import { htmlText } from '../format/text.js';
import { cellStatus, leaderboard, type Gradebook } from './gradebook.js';

const ICON = { passed: '✓', failed: '✗', skipped: '–' } as const;

/** A lab's cell: score, image size, and each check as ✓/✗ with its message on hover. */
function cell(book: Gradebook, labId: string, row: Gradebook['rows'][number]): string {
  const record = row.cells[labId];
  const status = cellStatus(record);
  const result = record?.result;
  if (!result) return `<td class="missing" data-sort="-1" title="${htmlText(record?.reason ?? status)}">${htmlText(status)}</td>`;
  const checks = result.checks
    .map((c) => {
      const state = c.passed ? 'passed' : c.skipped ? 'skipped' : 'failed';
      return `<span class="check ${state}" title="${htmlText(`${c.id}: ${c.message}`)}">${ICON[state]}</span>`;
    })
    .join('');
  const size = result.image ? formatBytes(result.image.size) : 'no image';
  const max = book.labs.find((l) => l.id === labId)!.maxScore;
  return `<td class="${result.passed ? 'pass' : 'fail'}" data-sort="${result.score}"><b>${result.score}/${max}</b> <small>${htmlText(size)}</small><div>${checks}</div></td>`;
}

/** Class image sizes per lab on a log scale, the reference solution marked. */
function chart(book: Gradebook, reference: Record<string, number | undefined>): string {
  const width = 720;
  const rowHeight = 46;
  const left = 130;
  const sizes = book.rows.flatMap((r) => book.labs.map((l) => r.cells[l.id]?.result?.image?.size ?? 0)).filter((s) => s > 0);
  const all = [...sizes, ...Object.values(reference).filter((s): s is number => Boolean(s))];
  if (all.length === 0) return '<p>No images were built.</p>';
  const lo = Math.log10(Math.min(...all) / 1.5);
  const hi = Math.log10(Math.max(...all) * 1.5);
  const x = (bytes: number) => left + ((Math.log10(bytes) - lo) / (hi - lo || 1)) * (width - left - 20);
  const parts: string[] = [];
  book.labs.forEach((lab, i) => {
    const y = 24 + i * rowHeight;
    parts.push(`<text x="0" y="${y + 4}" class="label">${htmlText(lab.id)}</text>`, `<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" class="axis"/>`);
    const ref = reference[lab.id];
    if (ref)
      parts.push(
        `<line x1="${x(ref)}" x2="${x(ref)}" y1="${y - 14}" y2="${y + 14}" class="reference"><title>reference solution: ${htmlText(formatBytes(ref))}</title></line>`,
        `<text x="${x(ref) + 4}" y="${y - 16}" class="ref-label">reference ${htmlText(formatBytes(ref))}</text>`,
      );
    for (const row of book.rows) {
      const result = row.cells[lab.id]?.result;
      if (!result?.image) continue;
      parts.push(
        `<circle cx="${x(result.image.size)}" cy="${y}" r="5" class="${result.passed ? 'pass' : 'fail'}"><title>${htmlText(`${row.student}: ${formatBytes(result.image.size)}, ${result.score}/${lab.maxScore}`)}</title></circle>`,
      );
    }
  });
  const height = 24 + book.labs.length * rowHeight;
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="image sizes per lab">${parts.join('')}</svg>`;
}

const SORT_SCRIPT = `
document.querySelectorAll('th[data-col]').forEach((th) => th.addEventListener('click', () => {
  const table = th.closest('table'); const col = Number(th.dataset.col);
  const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc'; th.dataset.dir = dir;
  const rows = [...table.tBodies[0].rows];
  const key = (r) => { const c = r.cells[col]; return c.dataset.sort !== undefined ? Number(c.dataset.sort) : c.textContent.trim().toLowerCase(); };
  rows.sort((a, b) => { const ka = key(a), kb = key(b); const o = ka < kb ? -1 : ka > kb ? 1 : 0; return dir === 'asc' ? o : -o; });
  rows.forEach((r) => table.tBodies[0].appendChild(r));
}));`;

/** gradebook.html: one static page, no outside requests, a sortable table and a size chart. */
export function toHtml(book: Gradebook, reference: Record<string, number | undefined>, generatedAt = new Date()): string {
  const head = `<tr><th data-col="0">student</th>${book.labs.map((l, i) => `<th data-col="${i + 1}">${htmlText(l.id)}</th>`).join('')}<th data-col="${book.labs.length + 1}">total</th></tr>`;
  const body = book.rows
    .map(
      (row) =>
        `<tr><td>${htmlText(row.student)}</td>${book.labs.map((l) => cell(book, l.id, row)).join('')}<td data-sort="${row.total}"><b>${row.total}</b>/${row.maxTotal}</td></tr>`,
    )
    .join('\n');
  const boards = book.labs
    .map(
      (l) =>
        `<li><b>${htmlText(l.id)}</b>: ${
          leaderboard(book, l.id)
            .map((b) => `${htmlText(b.student)} (${htmlText(formatBytes(b.size))})`)
            .join(', ') || 'no passing image yet'
        }</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stagecraft gradebook</title>
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; } th, td { border: 1px solid #ddd; padding: .4rem .6rem; vertical-align: top; }
th { cursor: pointer; background: #f4f4f4; user-select: none; } td.pass { background: #eefbea; } td.fail { background: #fdf0ee; }
td.missing { color: #888; font-style: italic; } .check { display: inline-block; width: 1.1em; text-align: center; }
.check.passed { color: #1a7f37; } .check.failed { color: #c0362c; } .check.skipped { color: #888; }
svg .axis { stroke: #bbb; } svg .reference { stroke: #0550ae; stroke-width: 2; } svg .ref-label { fill: #0550ae; font-size: 11px; }
svg .label { font-size: 13px; } svg circle.pass { fill: #1a7f37; opacity: .75; } svg circle.fail { fill: #c0362c; opacity: .75; }
</style></head><body>
<h1>stagecraft gradebook</h1>
<p>${book.rows.length} students · ${book.labs.length} labs · generated ${formatMinuteUtc(generatedAt)}. Hover a ✓ or ✗ for the check's message; click a column to sort.</p>
<table id="gradebook"><thead>${head}</thead><tbody>
${body}
</tbody></table>
<h2>Image sizes</h2>
<p>Each dot is a student's image (green: passes every check); the blue line is the reference solution.</p>
${chart(book, reference)}
<h2>Smallest passing images</h2><ul>${boards}</ul>
<script>${SORT_SCRIPT}</script>
</body></html>
`;
}
