import { isToolchainImage } from '../images/catalogue.js';
import { finalChain, type DockerInstruction, type ParsedDockerfile, type Stage } from '../lint/dockerfile.js';
import type { ImageConfigJson } from './saved-image.js';

/**
 * Where a layer came from: one of the Dockerfile's own instructions (with its stage), or
 * the base image the final stage's chain starts FROM. Rules read this to tell what the
 * submission added from what its base image ships.
 */
export interface LayerOrigin {
  layer: number;
  createdBy: string;
  /** The instruction that made it, when it is one of the Dockerfile's own. */
  instruction?: DockerInstruction;
  /** The stage that instruction belongs to. */
  stage?: { index: number; name?: string };
  /** Otherwise the base image it came with, and the FROM that brought it. */
  baseImage?: string;
  from?: DockerInstruction;
  /** The base image is a toolchain (golang, a JDK, full node or python), not a runtime. */
  baseIsToolchain?: boolean;
}

const stageRef = (s: Stage) => ({ index: s.index, name: s.name });

/**
 * The instruction keyword a history entry was made by. BuildKit writes
 * `RUN /bin/sh -c go build . # buildkit`, `COPY /out/app /app # buildkit`; the classic
 * builder writes `/bin/sh -c #(nop) COPY file:… in /src` or `/bin/sh -c go build .`.
 */
export function historyKeyword(createdBy: string): string | undefined {
  const text = createdBy.trim();
  const nop = /^\/bin\/sh -c #\(nop\)\s+([A-Z]+)/.exec(text);
  if (nop) return nop[1];
  if (/^(\|\d+ .*)?\/bin\/sh -c /.test(text)) return 'RUN';
  const word = /^([A-Z]+)\b/.exec(text);
  return word?.[1];
}

/**
 * Match the image's history to the Dockerfile from the end: the last entries were made by
 * the final stage's instructions (and by those of the stages it is built FROM), in order;
 * whatever is left came with the base image. Entries are matched by keyword, so
 * instructions that leave no history (ARG, say) are simply passed over.
 */
export function attributeLayers(config: ImageConfigJson, layerCount: number, df?: ParsedDockerfile): LayerOrigin[] {
  const history = config.history ?? [];
  const chain = df ? finalChain(df) : [];
  const instructions = chain.flatMap((s) => s.instructions);
  const stageOf = new Map(chain.flatMap((s) => s.instructions.map((i) => [i, s] as const)));
  const matched = new Map<number, DockerInstruction>();
  let j = instructions.length - 1;
  for (let h = history.length - 1; h >= 0 && j >= 0; h--) {
    const keyword = historyKeyword(history[h]!.created_by ?? '');
    let k = j;
    while (k >= 0 && instructions[k]!.keyword !== keyword) k--;
    if (k < 0) break; // no instruction left made this: the base image begins here
    matched.set(h, instructions[k]!);
    j = k - 1;
  }

  const root = chain[0];
  const base = root ? { baseImage: root.base, from: root.from, baseIsToolchain: root.base !== 'scratch' && isToolchainImage(root.base) } : {};
  const origins: LayerOrigin[] = [];
  let layer = 0;
  history.forEach((entry, h) => {
    if (entry.empty_layer) return;
    const instruction = matched.get(h);
    origins.push(
      instruction
        ? { layer, createdBy: entry.created_by ?? '', instruction, stage: stageRef(stageOf.get(instruction)!) }
        : { layer, createdBy: entry.created_by ?? '', ...base },
    );
    layer++;
  });
  // An image without history (imported, or a hand-made tar) still gets one origin per layer.
  for (; layer < layerCount; layer++) origins.push({ layer, createdBy: '', ...base });
  return origins.slice(0, layerCount);
}
