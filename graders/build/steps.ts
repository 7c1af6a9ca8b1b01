import type { DockerInstruction, ParsedDockerfile } from '../lint/dockerfile.js';
import type { BuildStep } from './build.js';

/** `[build 4/5] RUN go build .` → the Dockerfile instruction it ran, by stage and text. */
export function instructionOfStep(step: BuildStep, df: ParsedDockerfile): DockerInstruction | undefined {
  const m = /^\[(?:(\S+) )?\d+\/\d+\] (\S+)\s*(.*)$/.exec(step.name);
  if (!m) return undefined;
  const [, stageName, keyword, rest] = m as unknown as [string, string | undefined, string, string];
  const stages = df.stages.filter((s) =>
    stageName === undefined ? true : s.name === stageName.toLowerCase() || `stage-${s.index}` === stageName,
  );
  const words = rest.replace(/^(--\S+\s+)+/, '').slice(0, 40);
  for (const stage of stages) {
    const candidates = [stage.from, ...stage.instructions].filter((i) => i.keyword === keyword.toUpperCase());
    const hit = candidates.find((i) => i.args.startsWith(words) || words.startsWith(i.args.slice(0, 40))) ?? candidates[0];
    if (hit) return hit;
  }
  return undefined;
}

