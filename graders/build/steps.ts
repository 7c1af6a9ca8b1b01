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


/**
 * Steps in the order of the Dockerfile, never of their arrival: BuildKit 0.8 (Docker 20.10) reports
 * them oldest first, BuildKit 0.13+ (Docker 26+) newest first. Steps outside the Dockerfile (loading
 * it, the context, base images' metadata) come first, in the order they came.
 */
export function inDockerfileOrder(steps: BuildStep[], df: ParsedDockerfile): { step: BuildStep; instruction?: DockerInstruction }[] {
  const located = steps.map((step) => ({ step, instruction: /^\[internal\]/.test(step.name) ? undefined : instructionOfStep(step, df) }));
  return [...located.filter((l) => !l.instruction), ...located.filter((l) => l.instruction).sort((a, b) => a.instruction!.line - b.instruction!.line)];
}
