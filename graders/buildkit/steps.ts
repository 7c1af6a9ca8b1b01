import { heredocs, instructionFlags } from '../lint/buildkit.js';
import type { DockerInstruction, ParsedDockerfile } from '../lint/dockerfile.js';
import type { BuildStep } from './build.js';

/**
 * An instruction as BuildKit names its step: the first line after the keyword, and for a
 * heredoc its first line in brackets (`RUN <<EOF (set -eux...)`; BuildKit 0.2x).
 */
function stepText(i: DockerInstruction, escape?: string): string {
  if (!i.raw || !i.raw.includes('<<')) return i.args;
  const { logical, args } = instructionFlags(i.raw, escape);
  const first = heredocs(logical)[0]?.body[0];
  return first === undefined ? args : `${args} (${first}`;
}

/** The instructions BuildKit numbers as a stage's steps (`[build 3/5]`), after its FROM. */
const NUMBERED = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

/**
 * `[build 4/5] RUN go build .` → the Dockerfile instruction it ran, by stage and text; where
 * two read alike (`RUN <<EOF (set -eux...)` twice), by the step's number in its stage.
 */
export function instructionOfStep(step: BuildStep, df: ParsedDockerfile): DockerInstruction | undefined {
  const m = /^\[(?:(\S+) )?(\d+)\/\d+\] (\S+)\s*(.*)$/.exec(step.name);
  if (!m) return undefined;
  const [, stageName, number, keyword, rest] = m as unknown as [string, string | undefined, string, string, string];
  const stages = df.stages.filter((s) => (stageName === undefined ? true : s.name === stageName.toLowerCase() || `stage-${s.index}` === stageName));
  const words = rest.replace(/^(--\S+\s+)+/, '').slice(0, 40);
  for (const stage of stages) {
    const candidates = [stage.from, ...stage.instructions].filter((i) => i.keyword === keyword.toUpperCase());
    const alike = candidates.filter((i) => {
      const text = stepText(i, df.escape);
      return text.startsWith(words) || words.startsWith(text.slice(0, 40));
    });
    const numbered = [stage.from, ...stage.instructions.filter((i) => NUMBERED.has(i.keyword.toUpperCase()))][Number(number) - 1];
    const hit = (numbered && alike.includes(numbered) ? numbered : alike[0]) ?? candidates[0];
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
