import type { FindingKind } from '../findings/index.js';
import { formatCount } from '../format/bytes.js';
import type { Explained } from './explain-image.js';

/**
 * The treemap's data: the image → its layers → folders → files, each with its bytes.
 * Kept small whatever the image holds (a page for 300,000 files opens at once): files
 * smaller than a threshold are summed per folder into one "N smaller files" box, folders
 * smaller than it become one box, and a chain of single folders is one box (`usr/lib/jvm`).
 * Every byte stays counted: the root's size is the image's size.
 */
export interface TreeNode {
  /** Name: a file or folder name, `usr/lib` for a chain, `412 smaller files`. */
  n: string;
  /** Bytes. */
  s: number;
  c?: TreeNode[];
  /** Files this box stands for, when it stands for more than itself (a folder shown closed, smaller files summed). */
  f?: number;
  /** What it holds: a bit per finding kind (KIND_BITS), and DELETED for files a later layer deletes. */
  k?: number;
  /** The findings (indices into the explanation's findings) its files belong to. */
  x?: number[];
  /** On a layer's box: its 0-based index. */
  L?: number;
}

export const KIND_BITS: Record<FindingKind, number> = { toolchain: 1, cache: 2, secret: 4, 'deleted-but-shipped': 8, root: 0 };
/** Files deleted by a later layer (and still shipped), whether or not they add up to a finding. */
export const DELETED = 8;

/** The most boxes a page carries: a few MB of JSON at most, drawn at once. */
export const MAX_NODES = 25_000;

interface Leaf {
  name: string;
  size: number;
  kinds: number;
  findings: number[];
}

interface Aggregate {
  count: number;
  size: number;
  kinds: number;
  findings: number[];
}

interface Dir {
  name: string;
  size: number;
  count: number;
  dirs: Map<string, Dir>;
  leaves: Leaf[];
  /** Files below the threshold, summed by what they are (key: their findings and kinds). */
  small: Map<string, Aggregate>;
}

const newDir = (name: string): Dir => ({ name, size: 0, count: 0, dirs: new Map(), leaves: [], small: new Map() });

function addSmall(dir: Dir, count: number, size: number, kinds: number, findings: number[]): void {
  const key = `${kinds}:${findings.join(',')}`;
  const agg = dir.small.get(key);
  if (agg) {
    agg.count += count;
    agg.size += size;
  } else {
    dir.small.set(key, { count, size, kinds, findings });
  }
}

const union = (a: number[], b: number[]) => (b.every((x) => a.includes(x)) ? a : [...new Set([...a, ...b])].sort((p, q) => p - q));

/** Turn a folder into boxes, summing what is below `min` bytes; counts the boxes in `budget`. */
function finalize(dir: Dir, min: number, counter: { nodes: number }): TreeNode {
  counter.nodes++;
  const node: TreeNode = { n: dir.name, s: dir.size };
  if (dir.size < min && dir.count > 1) {
    // Too small to open: one box for the folder, marked with everything it holds.
    const marks = collectMarks(dir);
    return withMarks({ ...node, f: dir.count }, marks.kinds, marks.findings);
  }
  const children: TreeNode[] = [];
  const small = new Map(dir.small);
  const smallOf = (kinds: number, findings: number[], count: number, size: number) => {
    const key = `${kinds}:${findings.join(',')}`;
    const agg = small.get(key);
    if (agg) {
      small.set(key, { ...agg, count: agg.count + count, size: agg.size + size });
    } else {
      small.set(key, { count, size, kinds, findings });
    }
  };
  for (const leaf of dir.leaves) {
    if (leaf.size < min) smallOf(leaf.kinds, leaf.findings, 1, leaf.size);
    else {
      counter.nodes++;
      children.push(withMarks({ n: leaf.name, s: leaf.size }, leaf.kinds, leaf.findings));
    }
  }
  for (const sub of dir.dirs.values()) {
    if (sub.size < min && sub.count > 0) {
      const marks = collectMarks(sub);
      if (sub.count === 1 && sub.leaves.length === 1) smallOf(marks.kinds, marks.findings, 1, sub.size);
      else {
        counter.nodes++;
        children.push(withMarks({ n: sub.name, s: sub.size, f: sub.count }, marks.kinds, marks.findings));
      }
    } else if (sub.size > 0) {
      children.push(finalize(sub, min, counter));
    }
  }
  for (const agg of small.values()) {
    if (agg.size <= 0) continue;
    counter.nodes++;
    children.push(
      withMarks({ n: agg.count === 1 ? '1 small file' : `${formatCount(agg.count)} smaller files`, s: agg.size, f: agg.count }, agg.kinds, agg.findings),
    );
  }
  children.sort((a, b) => b.s - a.s);
  // A folder holding only one folder reads as one path: `usr/lib/jvm`.
  if (children.length === 1 && children[0]!.c && dir.name) {
    const only = children[0]!;
    counter.nodes--;
    return { ...only, n: `${dir.name}/${only.n}` };
  }
  if (children.length) node.c = children;
  return node;
}

function collectMarks(dir: Dir): { kinds: number; findings: number[] } {
  let kinds = 0;
  let findings: number[] = [];
  const visit = (d: Dir) => {
    for (const l of d.leaves) {
      kinds |= l.kinds;
      findings = union(findings, l.findings);
    }
    for (const a of d.small.values()) {
      kinds |= a.kinds;
      findings = union(findings, a.findings);
    }
    for (const sub of d.dirs.values()) visit(sub);
  };
  visit(dir);
  return { kinds, findings };
}

function withMarks(node: TreeNode, kinds: number, findings: number[]): TreeNode {
  if (kinds) node.k = kinds;
  if (findings.length) node.x = findings;
  return node;
}

/**
 * The tree of an explained image. A file's box is marked with the findings it belongs to
 * and with DELETED when a later layer deletes it; each layer's box holds, besides its
 * files, what the engine counts that no file accounts for (symbolic links' targets),
 * so that layers add up to the image's size to the byte.
 */
export function buildTree({ explanation, files, findingsOf }: Explained, maxNodes = MAX_NODES): TreeNode {
  const kindOf = explanation.findings.map((f) => KIND_BITS[f.kind]);
  const layerDirs = explanation.layers.map((l) => newDir(`layer ${l.index + 1}`));
  // Files below this are summed per folder as they come: the tree never holds 300,000 leaves.
  const floor = explanation.size / (maxNodes * 4);

  for (const file of files) {
    if (file.type !== 'file' || file.size <= 0) continue;
    const root = layerDirs[file.layer];
    if (!root) continue;
    const findings = findingsOf(file);
    let kinds = file.deletedIn === undefined ? 0 : DELETED;
    for (const i of findings) kinds |= kindOf[i] ?? 0;
    const parts = file.path.split('/');
    const name = parts.pop()!;
    let dir = root;
    root.size += file.size;
    root.count++;
    for (const part of parts) {
      let sub = dir.dirs.get(part);
      if (!sub) {
        sub = newDir(part);
        dir.dirs.set(part, sub);
      }
      sub.size += file.size;
      sub.count++;
      dir = sub;
    }
    if (file.size < floor) addSmall(dir, 1, file.size, kinds, findings);
    else dir.leaves.push({ name, size: file.size, kinds, findings });
  }

  let min = explanation.size / maxNodes;
  for (;;) {
    const counter = { nodes: 1 };
    const layers = explanation.layers.map((layer, i) => {
      const dir = layerDirs[i]!;
      const node: TreeNode = { ...finalize({ ...dir, name: '' }, min, counter), n: `layer ${layer.index + 1}`, L: layer.index };
      const rest = layer.size - dir.size;
      if (rest > 0) {
        counter.nodes++;
        node.c = [...(node.c ?? []), { n: 'links and file-system records', s: rest }].sort((a, b) => b.s - a.s);
        node.s = layer.size;
      }
      return node;
    });
    const counted = layers.reduce((sum, l) => sum + l.s, 0);
    const children = counted < explanation.size ? [...layers, { n: 'bytes the scan did not reach', s: explanation.size - counted }] : layers;
    if (counter.nodes <= maxNodes || min >= explanation.size) {
      return { n: explanation.ref, s: Math.max(explanation.size, counted), c: children };
    }
    min *= 2;
  }
}
