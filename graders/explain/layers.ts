import type { ImageFacts, LayerSummary } from '../inspect/image.js';
import { describeFull } from './instruction.js';
import type { BaseImage } from './base-image.js';
import type { LayerView } from './explanation.js';
import { instructionText } from './history-text.js';

/**
 * Without a Dockerfile, the layers' origins come from the image itself: the bottom ones
 * came with its base images (each layer with the smallest base that holds it); above
 * them, only the history's words say what made each layer. Returned as the inspect
 * stage's own LayerSummary, so the findings engine reads them the same way whether a
 * Dockerfile was given or not.
 */
export function withBaseImages(layers: LayerSummary[], bases: BaseImage[]): LayerSummary[] {
  return layers.map((l) => {
    const base = bases.find((b) => l.layer < b.layers);
    return base && !l.instruction ? { ...l, baseImage: base.ref, baseIsToolchain: base.toolchain } : l;
  });
}

/**
 * The engine's own byte count per layer (what `docker history` shows; they add up to
 * the image's size). History entries with bytes are the layers with file bytes or links,
 * in order (folders and empty files weigh nothing to the engine); when the two lists do
 * not pair up, the scan's own count stands.
 */
function engineSizes(facts: ImageFacts, layers: LayerSummary[]): number[] {
  const scanned = layers.map((l) => l.bytes);
  const sized = facts.history.map((h) => h.size ?? 0).filter((s) => s > 0);
  const links = new Set((facts.files ?? []).filter((f) => f.type === 'symlink').map((f) => f.layer));
  const weighty = layers.filter((l) => l.bytes > 0 || links.has(l.layer));
  if (sized.length !== weighty.length || sized.reduce((a, b) => a + b, 0) !== facts.size) return scanned;
  const sizes = layers.map(() => 0);
  weighty.forEach((l, i) => (sizes[l.layer] = sized[i]!));
  return sizes;
}

/** The layers as explain reports them: bytes, and the instruction or base image that made each. */
export function layerViews(facts: ImageFacts, layers: LayerSummary[]): LayerView[] {
  const sizes = engineSizes(facts, layers);
  return layers.map((l) => {
    const history = instructionText(l.createdBy);
    const instruction = l.instruction
      ? { stage: l.stage ? (l.stage.name ?? String(l.stage.index)) : undefined, line: l.instruction.line, text: describeFull(l.instruction) }
      : !l.baseImage && history
        ? { text: history }
        : undefined;
    return {
      index: l.layer,
      size: sizes[l.layer] ?? l.bytes,
      fileBytes: l.bytes,
      fileCount: l.fileCount,
      instruction,
      base: instruction ? undefined : l.baseImage,
      baseIsToolchain: instruction ? undefined : l.baseIsToolchain,
      history,
    };
  });
}
