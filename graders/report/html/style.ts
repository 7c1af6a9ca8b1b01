/** The page's style sheet, inline: the page makes no request. Sized for a 1280×720 laptop screen and up. */
export const PAGE_CSS = String.raw`
:root {
  --bg: #f6f6f3; --panel: #ffffff; --ink: #1c1c1e; --muted: #686870; --line: #e1e1dc;
  --toolchain: #d9481c; --cache: #e39b00; --secret: #8e2bc4; --ok: #22803a; --bad: #c62828;
}
* { box-sizing: border-box; }
html, body { height: 100%; }
body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; color: var(--ink); background: var(--bg); display: flex; flex-direction: column; }
code { font: 12px/1.3 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: #f0f0ec; padding: 0 3px; border-radius: 3px; }
button { font: inherit; color: inherit; }
header { display: flex; align-items: center; gap: 18px; padding: 10px 16px; background: var(--panel); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header h1 { margin: 0; font-size: 17px; font-weight: 650; overflow-wrap: anywhere; }
header .tool { color: var(--muted); font-weight: 500; }
header .total { font-size: 22px; font-weight: 750; letter-spacing: -0.01em; }
header .total small { font-size: 13px; font-weight: 500; color: var(--muted); margin-left: 6px; }
.chips { display: flex; gap: 6px; flex-wrap: wrap; }
.chip { border-radius: 999px; padding: 2px 9px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.chip.toolchain { background: var(--toolchain); } .chip.cache { background: var(--cache); } .chip.secret { background: var(--secret); }
.chip.deleted { background: #555 repeating-linear-gradient(135deg, #555 0 5px, #777 5px 8px); } .chip.root { background: #34495e; }
.chip.clean { background: var(--ok); }
.note { color: var(--muted); font-size: 12px; flex-basis: 100%; margin-top: -4px; }
.note.bad { color: var(--bad); font-weight: 600; }
#checks { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1px 20px; padding: 6px 16px 8px; background: var(--panel); border-bottom: 1px solid var(--line); }
#checks h2 { grid-column: 1 / -1; margin: 0 0 2px; font-size: 13px; }
.check { display: flex; gap: 6px; min-width: 0; white-space: nowrap; }
.check .mark { width: 1em; font-weight: 700; } .check.pass .mark { color: var(--ok); } .check.fail .mark { color: var(--bad); } .check.skip .mark { color: var(--cache); }
.check .id { font-weight: 650; min-width: 7.5em; }
.check .msg { overflow: hidden; text-overflow: ellipsis; color: #333; }
main { flex: 1; display: grid; grid-template-columns: minmax(0, 1fr) minmax(320px, 31%); min-height: 0; }
#map-panel { display: flex; flex-direction: column; padding: 8px 12px 10px 16px; min-height: 0; min-width: 0; }
#crumbs { display: flex; align-items: center; flex-wrap: wrap; gap: 2px; min-height: 24px; margin-bottom: 6px; color: var(--muted); }
#crumbs button { border: 1px solid var(--line); background: var(--panel); border-radius: 4px; padding: 1px 7px; cursor: pointer; max-width: 28em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#crumbs button:last-of-type { font-weight: 650; color: var(--ink); }
#crumbs .hint { font-size: 12px; }
#treemap { position: relative; flex: 1; min-height: 260px; background: #fff; border: 1px solid var(--line); overflow: hidden; user-select: none; }
.box { position: absolute; overflow: hidden; border: 1px solid rgba(255, 255, 255, 0.85); cursor: zoom-in; transition: opacity 0.12s; }
.box .label { position: absolute; left: 3px; right: 3px; top: 1px; white-space: pre; overflow: hidden; text-overflow: ellipsis; pointer-events: none; font-size: 11px; line-height: 14px; }
.box .label.band { color: #fff; font-weight: 600; }
.box .label.leaf { color: #1c1c1e; }
.box .label.big { font-size: 17px; line-height: 22px; left: 8px; top: 5px; font-weight: 600; }
.box.k-toolchain { background: var(--toolchain); } .box.k-cache { background: var(--cache); } .box.k-secret { background: var(--secret); }
.box.k-toolchain .label, .box.k-secret .label { color: #fff; }
.box.deleted { background-image: repeating-linear-gradient(135deg, rgba(0, 0, 0, 0) 0 5px, rgba(0, 0, 0, 0.28) 5px 8px); }
.box.dim { opacity: 0.16; }
#legend { display: flex; gap: 14px; flex-wrap: wrap; margin-top: 6px; color: var(--muted); font-size: 12px; }
#legend span::before { content: ""; display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
#legend .toolchain::before { background: var(--toolchain); } #legend .cache::before { background: var(--cache); } #legend .secret::before { background: var(--secret); }
#legend .deleted::before { background: #9aa repeating-linear-gradient(135deg, #9aa 0 3px, #566 3px 5px); } #legend .other::before { background: linear-gradient(90deg, hsl(205,32%,82%), hsl(165,32%,82%), hsl(228,32%,82%)); }
aside { background: var(--panel); border-left: 1px solid var(--line); display: flex; flex-direction: column; min-height: 0; }
aside section { overflow: auto; padding: 8px 14px 10px; min-height: 0; }
#findings-panel { flex: 3 1 0; } #layers-panel { flex: 2 1 0; border-top: 1px solid var(--line); }
aside h2 { font-size: 13px; margin: 0 0 6px; position: sticky; top: -8px; background: var(--panel); padding: 4px 0; z-index: 1; }
aside h2 small { color: var(--muted); font-weight: 500; }
ol { list-style: none; margin: 0; padding: 0; }
.finding { border: 1px solid var(--line); border-left: 4px solid #999; border-radius: 5px; padding: 6px 8px; margin-bottom: 6px; cursor: pointer; }
.finding.toolchain { border-left-color: var(--toolchain); } .finding.cache { border-left-color: var(--cache); } .finding.secret { border-left-color: var(--secret); } .finding.deleted-but-shipped { border-left-color: #555; } .finding.root { border-left-color: #34495e; }
.finding.selected { background: #fff8e6; border-color: #e0c37a; }
.finding .what { font-weight: 650; }
.finding .size { float: right; font-weight: 650; margin-left: 8px; }
.finding .where { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.finding .todo { margin-top: 3px; font-size: 12px; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.finding.selected .todo, .finding:focus .todo { -webkit-line-clamp: unset; }
.finding .read { font-size: 12px; color: var(--muted); }
.finding .kind { font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); margin-right: 4px; }
.clean-kinds { color: var(--ok); font-size: 12px; margin: 6px 0 0; }
.layer { display: grid; grid-template-columns: 2.2em 5.2em 56px minmax(0, 1fr); gap: 6px; align-items: center; padding: 3px 2px; border-bottom: 1px solid #f0f0ec; cursor: pointer; }
.layer:hover, .finding:hover { background: #fafaf7; }
.layer .n { color: var(--muted); text-align: right; } .layer .bytes { text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
.layer .bar { height: 8px; background: #eee; border-radius: 2px; overflow: hidden; } .layer .bar i { display: block; height: 100%; }
.layer .origin { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.layer .origin .line { color: var(--muted); margin-right: 4px; }
.layer .origin .base { color: var(--muted); }
#tip { position: fixed; z-index: 10; max-width: 460px; background: rgba(28, 28, 30, 0.94); color: #fff; padding: 6px 9px; border-radius: 5px; font-size: 12px; white-space: pre-wrap; pointer-events: none; overflow-wrap: anywhere; }
body.picture aside, body.picture #checks, body.picture #crumbs .hint, body.picture .note { display: none; }
body.picture main { grid-template-columns: 1fr; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } aside { border-left: 0; border-top: 1px solid var(--line); } #treemap { min-height: 420px; } }
`;
