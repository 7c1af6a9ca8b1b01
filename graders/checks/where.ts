import { describe } from '../lint/dockerfile.js';
import type { LayerSummary } from '../inspect/image.js';

/**
 * "layer 3 of 9, added by `RUN go build .` (Dockerfile line 7)" or
 * "layer 2 of 9, from the base image golang:1.24-trixie (FROM on line 1)":
 * the words every finding uses to say where something came from.
 */
export function whereFrom(layer: number, layers: LayerSummary[]): string {
  const origin = layers[layer];
  const position = `layer ${layer + 1} of ${layers.length}`;
  if (origin?.instruction) return `${position}, added by \`${describe(origin.instruction)}\` (Dockerfile line ${origin.instruction.line})`;
  if (origin?.baseImage) return `${position}, from the base image ${origin.baseImage}${origin.from ? ` (FROM on line ${origin.from.line})` : ''}`;
  return position;
}
