import { htmlText } from '../format/text.js';

/**
 * The board: one self-contained page (its style and script inline, under a nonce; nothing
 * fetched from elsewhere) that follows the room by server-sent events. Everything a student
 * controls arrives as data and is put on the page as text (textContent), never as markup.
 * Sized for a projector at 1280×720, read from the back of the room: few words, large type,
 * the grid shrinking its rows to fit the class.
 */

export interface PageOptions {
  nonce: string;
  instructor: boolean;
  code: string;
  /** The link students join with (the room's address on the classroom network). */
  joinLink: string;
  pseudonyms: boolean;
  stuckMinutes: number;
  verify: boolean;
}

const STYLE = `
:root { color-scheme: dark; --row: 34px; --bg: #10141a; --fg: #f2f4f7; --dim: #9aa4b2; --pass: #3fb950; --fail: #f85149; --skip: #6e7681; --card: #1a2029; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--fg); font: 20px/1.25 system-ui, 'Segoe UI', Roboto, sans-serif; overflow: hidden; }
body { display: grid; grid-template-rows: auto 1fr auto; height: 100vh; }
header { display: flex; align-items: baseline; gap: 1.2rem; padding: .5rem 1rem; background: #0b0e12; border-bottom: 2px solid #263040; }
header h1 { font-size: 1.3rem; margin: 0; white-space: nowrap; }
header .code { font: 700 1.6rem ui-monospace, monospace; letter-spacing: .12em; color: #ffd866; }
header .join { min-width: 0; font: .85rem ui-monospace, monospace; color: var(--dim); overflow-wrap: anywhere; }
header .join b { color: var(--fg); font-weight: 600; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(200px, 300px); gap: .8rem; padding: .6rem 1rem; min-height: 0; }
#grid-box { min-height: 0; overflow: hidden; }
table { border-collapse: separate; border-spacing: 0 3px; width: 100%; table-layout: fixed; }
th { font-size: .8rem; color: var(--dim); text-align: left; font-weight: 600; padding: 0 .3rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
th.name { width: 16%; }
td { height: var(--row); padding: 0 .3rem; background: var(--card); font-size: calc(var(--row) * .5); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
td.name { font-weight: 600; border-radius: 6px 0 0 6px; }
td:last-child { border-radius: 0 6px 6px 0; }
td.passed { box-shadow: inset 4px 0 0 var(--pass); }
.marks { display: inline-flex; gap: 2px; vertical-align: middle; }
.m { display: inline-block; width: calc(var(--row) * .26); height: calc(var(--row) * .5); border-radius: 2px; background: #2b3340; }
.m.p { background: var(--pass); } .m.f { background: var(--fail); } .m.s { background: var(--skip); }
.size { color: var(--dim); font-size: .7em; margin-left: .3em; }
.v { margin-left: .3em; font-weight: 700; } .v.agrees { color: var(--pass); } .v.differs { color: #ffd866; } .v.could-not-grade { color: var(--dim); }
td.can-verify { cursor: pointer; } td.can-verify:hover { outline: 2px solid #58a6ff; }
aside { display: flex; flex-direction: column; gap: .6rem; min-height: 0; overflow: hidden; }
section { background: var(--card); border-radius: 8px; padding: .5rem .7rem; }
section h2 { font-size: .85rem; text-transform: uppercase; letter-spacing: .06em; color: var(--dim); margin: 0 0 .3rem; }
ol, ul { margin: 0; padding-left: 1.2rem; font-size: .9rem; } li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.lab { color: #79c0ff; font-weight: 600; } .n { color: var(--fail); font-weight: 700; }
.empty { color: var(--dim); font-style: italic; font-size: .85rem; }
.more { color: var(--dim); font-size: .9rem; padding: .2rem .3rem; }
footer { padding: .3rem 1rem; color: var(--dim); font-size: .8rem; display: flex; justify-content: space-between; background: #0b0e12; }
footer .live::before { content: '●'; color: var(--pass); margin-right: .3em; } footer .live.lost::before { color: var(--fail); }
.stuck li, #leaders li { white-space: normal; } .stuck small { color: var(--dim); display: block; font-size: .78rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
`;

const SCRIPT = `
const cfg = JSON.parse(document.getElementById('cfg').textContent);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const short = (lab) => lab.replace(/^lab(\\d+)-/, '$1 ');
let last;
function fit(rows) {
  const box = document.getElementById('grid-box');
  const h = box.clientHeight - 28;
  const row = Math.max(20, Math.min(40, Math.floor(h / Math.max(rows, 1)) - 3));
  document.documentElement.style.setProperty('--row', row + 'px');
  return Math.max(1, Math.floor(h / (row + 3)));
}
function cell(lab, c, name) {
  const td = el('td');
  if (!c) { td.append(el('span', 'empty', '·')); return td; }
  if (c.passed) td.className = 'passed';
  const marks = el('span', 'marks');
  c.marks.forEach((m, i) => { const s = el('span', 'm ' + m); s.title = (lab.checks[i] || '') + ': ' + ({ p: 'passed', f: 'failed', s: 'skipped', '': 'not reported' })[m]; marks.append(s); });
  td.append(marks, el('span', 'size', c.sizeText));
  if (c.verified) { const v = el('span', 'v ' + c.verified, c.verified === 'agrees' ? '✔' : c.verified === 'differs' ? '≠' : '?'); v.title = c.verified === 'agrees' ? 'verified on the room\\'s machine' : c.verified === 'differs' ? 'the room\\'s regrade differs from the student\\'s result' : 'the room could not regrade it'; td.append(v); }
  if (cfg.instructor) {
    td.title = [c.score + '/' + c.maxScore + ' checks', c.finding || '', c.shared ? (cfg.verify ? 'click to verify on this machine' : 'Dockerfile shared') : 'Dockerfile not shared'].filter(Boolean).join('\\n');
    if (c.shared && cfg.verify) { td.classList.add('can-verify'); td.onclick = () => verify(name, lab.id, td); }
  }
  return td;
}
async function verify(student, lab, td) {
  td.style.opacity = '.5';
  const r = await fetch('/api/verify', { method: 'POST', headers: { 'content-type': 'application/json', 'x-stagecraft-room': '1' }, body: JSON.stringify({ student, lab }) });
  if (!r.ok) { td.style.opacity = ''; alert((await r.json()).error); }
}
function list(id, items, render, none) {
  const box = document.getElementById(id); box.replaceChildren();
  if (!items.length) { box.append(el('p', 'empty', none)); return; }
  const ol = el('ol'); items.forEach((x) => ol.append(render(x))); box.append(ol);
}
function draw(s) {
  last = s;
  const head = el('tr'); head.append(el('th', 'name', s.rows.length + (s.rows.length === 1 ? ' student' : ' students')));
  s.labs.forEach((l) => { const th = el('th', '', short(l.id)); th.title = l.id + ': ' + l.checks.join(', '); head.append(th); });
  const fits = fit(s.rows.length);
  const shown = s.rows.length > fits ? s.rows.slice(0, fits - 1) : s.rows;
  const body = el('tbody');
  shown.forEach((r) => {
    const tr = el('tr'); const name = el('td', 'name', r.name); if (r.pseudonym) name.title = 'on the projector: ' + r.pseudonym; tr.append(name);
    s.labs.forEach((l) => tr.append(cell(l, r.cells[l.id], r.name))); body.append(tr);
  });
  const table = el('table'); const thead = el('thead'); thead.append(head); table.append(thead, body);
  const box = document.getElementById('grid-box'); box.replaceChildren(table);
  if (shown.length < s.rows.length) box.append(el('div', 'more', '+ ' + (s.rows.length - shown.length) + ' more students'));
  if (!s.rows.length) box.append(el('p', 'empty', 'No one has joined yet.'));
  const boards = s.leaderboard.filter((b) => b.entries.length);
  list('leaders', boards, (b) => { const li = el('li'); li.append(el('span', 'lab', short(b.lab) + ' '), document.createTextNode(b.entries.map((e) => e.name + ' ' + e.sizeText).join(' · '))); return li; }, 'No image passes every check yet.');
  list('failing', s.failing, (f) => { const li = el('li'); li.append(el('span', 'n', String(f.students)), document.createTextNode(' ' + f.check + ' '), el('span', 'lab', short(f.lab))); return li; }, 'Nothing is failing.');
  if (s.stuck) list('stuck', s.stuck, (x) => { const li = el('li'); li.append(el('b', '', x.name), document.createTextNode(' · ' + short(x.lab) + ' · ' + x.check + ' · ' + x.minutes + ' min'), el('small', '', x.finding)); return li; }, 'No one has been stuck for ' + cfg.stuckMinutes + ' minutes.');
  document.getElementById('count').textContent = s.posts + (s.posts === 1 ? ' result' : ' results') + ' posted';
}
const live = document.getElementById('live');
const source = new EventSource(cfg.events);
source.addEventListener('state', (e) => { live.classList.remove('lost'); live.textContent = 'live'; draw(JSON.parse(e.data)); });
source.onerror = () => { live.classList.add('lost'); live.textContent = 'reconnecting…'; };
window.addEventListener('resize', () => last && draw(last));
`;

export function boardPage(o: PageOptions): string {
  // The page's settings as JSON in a data block: `<` escaped so no text can close the element.
  const cfg = JSON.stringify({
    instructor: o.instructor,
    events: o.instructor ? '/instructor/events' : '/events',
    stuckMinutes: o.stuckMinutes,
    verify: o.verify,
  }).replaceAll('<', '\\u003c');
  const stuck = o.instructor ? `<section class="stuck"><h2>Stuck ${o.stuckMinutes}+ min on one check</h2><div id="stuck"></div></section>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>stagecraft room${o.instructor ? ' · instructor' : ''}</title><link rel="icon" href="data:,">
<style nonce="${htmlText(o.nonce)}">${STYLE}</style></head><body>
<header><h1>stagecraft room${o.instructor ? ' · instructor' : ''}</h1><span class="code">${htmlText(o.code)}</span>
<span class="join">join: <b>npx stagecraft room join ${htmlText(o.joinLink)} --name you</b></span></header>
<main><div id="grid-box"></div><aside>
<section><h2>Smallest passing images</h2><div id="leaders"></div></section>
<section><h2>Failing most now</h2><div id="failing"></div></section>${stuck}
</aside></main>
<footer><span>Results are self-reported by each student's kit; ✔ marks one regraded on the room's machine.${o.pseudonyms && !o.instructor ? ' Names are pseudonyms.' : ''}</span><span><span id="count"></span> · <span id="live" class="live">connecting…</span></span></footer>
<script type="application/json" id="cfg">${cfg}</script>
<script nonce="${htmlText(o.nonce)}">${SCRIPT}</script>
</body></html>
`;
}
