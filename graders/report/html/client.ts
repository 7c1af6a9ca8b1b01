import { SQUARIFY_JS } from './squarify.js';

/**
 * The page's script: draws the zoomable treemap from the data in `<script id="data">`,
 * and ties it to the findings and layers listed beside it. Plain browser JavaScript, no
 * library, no request: every text is set with textContent, never parsed as HTML.
 *
 * The treemap shows the zoomed node's children and, inside each, theirs, down to boxes a
 * few pixels wide; a folder's name is on a band at its top. Click a box to zoom into it,
 * the breadcrumb or Escape to zoom out; click a finding to light up its files.
 */
export const CLIENT_JS =
  SQUARIFY_JS +
  String.raw`
(function () {
  var data = JSON.parse(document.getElementById('data').textContent);
  var map = document.getElementById('treemap');
  var crumbs = document.getElementById('crumbs');
  var tip = document.getElementById('tip');
  var KIND = { 1: 'toolchain', 2: 'cache', 4: 'secret', 8: 'deleted' };
  var findings = data.explanation.findings;
  var layers = data.explanation.image.layers;
  var imageSize = data.tree.s;
  var nodes = [];
  var current = null;
  var selected = -1;

  function fmt(bytes) {
    var units = ['B', 'kB', 'MB', 'GB', 'TB'];
    var v = bytes;
    var u = 0;
    while (Math.abs(v) >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return (u === 0 ? String(Math.round(v)) : String(Number(v.toPrecision(3)))) + ' ' + units[u];
  }

  // Index the tree: parents, layers, and per node the bytes of each kind and the findings below it.
  function index(node, parent, layer, depth) {
    node.id = nodes.length;
    nodes.push(node);
    node.p = parent;
    node.d = depth;
    if (node.L !== undefined) layer = node.L;
    node.layer = layer;
    node.kb = { 1: 0, 2: 0, 4: 0, 8: 0 };
    node.xs = {};
    if (node.c && node.c.length) {
      for (var i = 0; i < node.c.length; i++) {
        var child = node.c[i];
        index(child, node, layer, depth + 1);
        for (var b in node.kb) node.kb[b] += child.kb[b];
        for (var f in child.xs) node.xs[f] = true;
      }
    } else {
      for (var bit in node.kb) if ((node.k || 0) & bit) node.kb[bit] = node.s;
      (node.x || []).forEach(function (f) { node.xs[f] = true; });
    }
  }
  index(data.tree, null, undefined, 0);

  function hue(layer) { return data.hues[(layer || 0) % data.hues.length]; }
  function dominant(node) {
    var best = 0;
    var bit = 0;
    for (var b in node.kb) if (node.kb[b] > best) { best = node.kb[b]; bit = Number(b); }
    return best >= node.s / 2 ? bit : 0;
  }
  function layerLabel(i) {
    var l = layers[i];
    if (!l) return 'layer ' + (i + 1);
    var origin = l.instruction ? (l.instruction.line ? 'line ' + l.instruction.line + ': ' : '') + l.instruction.text : l.base ? 'from ' + l.base : l.history;
    return 'layer ' + (i + 1) + ' · ' + origin;
  }
  function nameOf(node) { return node.L !== undefined ? layerLabel(node.L) : node.n; }
  function pathOf(node) {
    var parts = [];
    for (var n = node; n && n.L === undefined && n.p; n = n.p) parts.unshift(n.n);
    return '/' + parts.join('/');
  }

  function paint(el, node, closed) {
    var bit = node.c && node.c.length && !closed ? 0 : dominant(node);
    var kind = KIND[bit & 7 ? bit : 0];
    var deleted = (node.kb[8] || 0) >= node.s / 2 && node.s > 0;
    if (kind) el.classList.add('k-' + kind);
    else el.style.background = node.c && node.c.length && !closed ? 'hsl(' + hue(node.layer) + ',25%,40%)' : 'hsl(' + hue(node.layer) + ',32%,' + (closed ? 72 : 82) + '%)';
    if (deleted) el.classList.add('deleted');
  }

  function box(node, x, y, w, h, depth) {
    var el = document.createElement('div');
    el.className = 'box';
    el.style.left = x + 'px';
    el.style.top = y + 'px';
    el.style.width = w + 'px';
    el.style.height = h + 'px';
    el.dataset.id = node.id;
    el.dataset.size = node.s;
    el.dataset.depth = depth;
    map.appendChild(el);
    return el;
  }

  function label(el, text, cls) {
    var span = document.createElement('span');
    span.className = 'label' + (cls ? ' ' + cls : '');
    span.textContent = text;
    el.appendChild(span);
  }

  var drawn = 0;
  function draw(node, x, y, w, h, depth) {
    if (w < 1.5 || h < 1.5) return;
    var kids = (node.c || []).filter(function (c) { return c.s > 0; });
    var open = kids.length > 0 && (depth === 0 || (w >= 14 && h >= 14));
    if (depth > 0) {
      var el = box(node, x, y, w, h, depth);
      drawn++;
      paint(el, node, !open);
      var head = open && h >= 34 && w >= 44 ? 16 : 0;
      if (head) label(el, nameOf(node) + ' · ' + fmt(node.s), 'band');
      else if (!open && w >= 44 && h >= 16) label(el, nameOf(node) + (h >= 30 ? '\n' + fmt(node.s) : ''), w >= 240 && h >= 120 ? 'leaf big' : 'leaf');
      if (!open) return;
      x += 1; y += head + 1; w -= 2; h -= head + 2;
      if (w < 2 || h < 2) return;
    }
    var sizes = kids.map(function (c) { return c.s; });
    if (depth === 0) map.dataset.total = String(sizes.reduce(function (a, b) { return a + b; }, 0));
    var rects = squarify(sizes, x, y, w, h);
    for (var i = 0; i < kids.length; i++) draw(kids[i], rects[i][0], rects[i][1], rects[i][2], rects[i][3], depth + 1);
  }

  function render() {
    map.textContent = '';
    drawn = 0;
    var r = map.getBoundingClientRect();
    map.dataset.total = '0';
    draw(current, 0, 0, r.width, r.height, 0);
    map.dataset.boxes = String(drawn);
    highlight();
    renderCrumbs();
  }

  function renderCrumbs() {
    crumbs.textContent = '';
    var chain = [];
    for (var n = current; n; n = n.p) chain.unshift(n);
    chain.forEach(function (n, i) {
      if (i) crumbs.appendChild(document.createTextNode(' › '));
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = i === 0 ? 'whole image · ' + fmt(n.s) : (n.L !== undefined ? 'layer ' + (n.L + 1) : n.n) + ' · ' + fmt(n.s);
      b.onclick = function () { zoom(n); };
      crumbs.appendChild(b);
    });
    var hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = current.p ? ' — Esc: zoom out' : ' — click a box to zoom in';
    crumbs.appendChild(hint);
  }

  function zoom(node) {
    while (node && !(node.c && node.c.length)) node = node.p;
    if (!node) return;
    current = node;
    render();
  }

  function highlight() {
    var boxes = map.children;
    for (var i = 0; i < boxes.length; i++) {
      var node = nodes[boxes[i].dataset.id];
      boxes[i].classList.toggle('dim', selected >= 0 && !node.xs[selected]);
    }
    document.querySelectorAll('[data-finding]').forEach(function (el) {
      el.classList.toggle('selected', Number(el.dataset.finding) === selected);
    });
  }

  // The deepest node that holds every file of a finding: where selecting it zooms to.
  function home(finding) {
    var n = data.tree;
    for (;;) {
      var inside = (n.c || []).filter(function (c) { return c.xs[finding]; });
      if (inside.length !== 1 || !(inside[0].c && inside[0].c.length)) return n;
      n = inside[0];
    }
  }

  function select(finding) {
    selected = selected === finding ? -1 : finding;
    if (selected >= 0 && data.tree.xs[selected]) zoom(home(selected).p ? home(selected).p : data.tree);
    else highlight();
  }

  map.addEventListener('click', function (e) {
    var el = e.target.closest('.box');
    if (!el) return;
    var node = nodes[el.dataset.id];
    zoom(node.c && node.c.length ? node : node.p);
  });
  map.addEventListener('mousemove', function (e) {
    var el = e.target.closest('.box');
    if (!el) { tip.hidden = true; return; }
    var node = nodes[el.dataset.id];
    var lines = [node.L !== undefined ? layerLabel(node.L) : pathOf(node), fmt(node.s) + ' · ' + ((node.s / imageSize) * 100).toFixed(node.s / imageSize < 0.01 ? 2 : 1) + '% of the image' + (node.f ? ' · ' + node.f.toLocaleString('en-US') + ' files' : '')];
    if (node.L === undefined && node.layer !== undefined) lines.push(layerLabel(node.layer));
    Object.keys(node.xs).slice(0, 3).forEach(function (f) { var x = findings[f]; if (x) lines.push('⚠ ' + x.kind + ': ' + x.what); });
    if (node.kb[8] >= node.s / 2 && node.s > 0) lines.push('deleted by a later layer, but still shipped');
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    var x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = e.clientY + 16 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 8 : e.clientY + 16;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  });
  map.addEventListener('mouseleave', function () { tip.hidden = true; });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape' && e.key !== 'Backspace') return;
    if (current.p) zoom(current.p);
    else if (selected >= 0) select(selected);
  });
  document.querySelectorAll('[data-finding]').forEach(function (el) {
    el.addEventListener('click', function () { select(Number(el.dataset.finding)); });
  });
  document.querySelectorAll('[data-layer]').forEach(function (el) {
    el.addEventListener('click', function () {
      var layer = Number(el.dataset.layer);
      var node = (data.tree.c || []).filter(function (c) { return c.L === layer; })[0];
      selected = -1;
      if (node) zoom(node.c && node.c.length ? node : data.tree);
    });
  });
  // The lists' items are focusable: Enter or Space does what a click does.
  document.querySelectorAll('[data-finding], [data-layer]').forEach(function (el) {
    el.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); el.click(); }
    });
  });
  var resizing = 0;
  window.addEventListener('resize', function () { clearTimeout(resizing); resizing = setTimeout(render, 80); });

  // #picture: the treemap alone, for slides and handouts.
  if (location.hash === '#picture') document.body.classList.add('picture');
  current = data.tree;
  render();
  document.body.classList.add('ready');
})();
`;
