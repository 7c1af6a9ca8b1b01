import path from 'node:path';
import { isToolchainImage } from '../images/catalogue.js';
import { describe, finalBaseImage, finalChain, MAX_STAGES, type ParsedDockerfile } from '../lint/dockerfile.js';
import { formatCount } from '../format/bytes.js';
import { CHECK_INFO } from './registry.js';
import { fail, pass, type Check } from './types.js';

export interface StageProblem {
  line: number;
  problem: string;
  /** What kind of problem, for ordering them most important first. */
  kind?: ProblemKind;
}

/** Most important first: what ships a toolchain, then what breaks the graph, then style. */
const IMPORTANCE = ['toolchain-final', 'whole-copy', 'one-stage', 'no-copy', 'fan-in', 'by-number', 'unnamed'] as const;
export type ProblemKind = (typeof IMPORTANCE)[number];

/** `/`, `/.`, `/*`, `/..`, `.`: the root of a stage, everything in it (COPY --from sources start at its root). */
const isWholeFilesystem = (source: string) => path.posix.normalize(`/${source.replace(/\*$/, '')}`) === '/';

/**
 * What keeps this Dockerfile from being a clean multi-stage build, each with its line.
 * Pure: a function of the parsed Dockerfile only.
 */
export function stageProblems(df: ParsedDockerfile, opts: MultiStageOptions = {}): StageProblem[] {
  const problems: StageProblem[] = [];
  const final = df.final;
  if (df.stages.length > MAX_STAGES) {
    const first = df.stages[MAX_STAGES]!.from;
    return [{ line: first.line, problem: `${formatCount(df.stages.length)} stages, more than the ${MAX_STAGES} the grader builds: a lab needs two to four` }];
  }
  if (df.stages.length < 2) {
    return [{ line: final.from.line, kind: 'one-stage', problem: `only one stage (\`${describe(final.from)}\`): everything used to build ships in the image` }];
  }
  // Sets, not searches: every step here stays linear in the number of stages and copies.
  const used = new Set(df.copies.map((c) => c.fromStage).filter((i) => i !== undefined));
  const bases = new Set(df.stages.map((s) => s.baseStage).filter((i) => i !== undefined));
  for (const stage of df.stages) {
    if (stage !== final && !stage.name && (used.has(stage.index) || bases.has(stage.index))) {
      problems.push({ line: stage.from.line, kind: 'unnamed', problem: `stage ${stage.index} (\`${describe(stage.from)}\`) has no name: add \`AS <name>\`` });
    }
  }
  for (const copy of df.copies) {
    if (copy.byIndex) {
      const target = df.stages[copy.fromStage!];
      problems.push({
        line: copy.instruction.line,
        kind: 'by-number',
        problem: `\`${describe(copy.instruction)}\` copies by stage number${target?.name ? `: write --from=${target.name}` : ''}; numbers change when stages move`,
      });
    }
    if (copy.sources.some(isWholeFilesystem)) {
      problems.push({
        line: copy.instruction.line,
        kind: 'whole-copy',
        problem: `\`${describe(copy.instruction)}\` copies a whole stage's file system, toolchain and all: copy only what the app needs to run`,
      });
    }
  }
  const base = finalBaseImage(df);
  if (isToolchainImage(base)) {
    const chain = finalChain(df);
    const through = chain.length > 1 ? `: the final stage is \`${describe(final.from)}\` (line ${final.from.line}), which starts from ${base}` : '';
    problems.push({ line: chain[0]!.from.line, kind: 'toolchain-final', problem: `the final image is built on ${base}, a toolchain image${through}` });
  }
  const chain = new Set(finalChain(df).map((s) => s.index));
  const feedsFinal = df.copies.some((c) => chain.has(c.stage) && (c.fromStage === undefined || !chain.has(c.fromStage)));
  if (!feedsFinal && chain.size === 1) {
    problems.push({ line: final.from.line, kind: 'no-copy', problem: 'the final stage copies nothing from a build stage (no COPY --from=<stage>)' });
  }
  if (opts.feeders) problems.push(...fanInProblems(df, opts.feeders));
  return problems.sort((a, b) => IMPORTANCE.indexOf(a.kind ?? 'unnamed') - IMPORTANCE.indexOf(b.kind ?? 'unnamed') || a.line - b.line);
}

export interface MultiStageOptions {
  /** A fan-in lab: at least this many independent build stages must feed the final one. */
  feeders?: number;
  /** The lab's own hint for a fan-in problem (its stages' names and paths). */
  fanInHint?: string;
}

/** Each stage's direct needs: its base stage and the stages it copies from. */
function directNeeds(df: ParsedDockerfile): Map<number, number[]> {
  const direct = new Map<number, number[]>(df.stages.map((s) => [s.index, s.baseStage === undefined ? [] : [s.baseStage]]));
  for (const c of df.copies) if (c.fromStage !== undefined) direct.get(c.stage)?.push(c.fromStage);
  return direct;
}

/** The stages a stage needs, transitively (an explicit stack: no recursion depth to exhaust). */
function needs(direct: Map<number, number[]>, index: number): Set<number> {
  const seen = new Set<number>();
  const todo = [...(direct.get(index) ?? [])];
  while (todo.length) {
    const d = todo.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    todo.push(...(direct.get(d) ?? []));
  }
  return seen;
}

const nameOf = (df: ParsedDockerfile, index: number) => df.stages[index]!.name ?? `stage ${index}`;

/** Fan-in: enough build stages copied into the final chain, none of them needing another. */
function fanInProblems(df: ParsedDockerfile, wanted: number): StageProblem[] {
  const chain = new Set(finalChain(df).map((s) => s.index));
  const feeders = [...new Set(df.copies.filter((c) => chain.has(c.stage) && c.fromStage !== undefined && !chain.has(c.fromStage)).map((c) => c.fromStage!))];
  const line = df.final.from.line;
  // Each feeder's needs are walked once: feeders × (stages + copies), with at most
  // MAX_STAGES stages (stageProblems stops before this on more).
  const direct = directNeeds(df);
  if (feeders.length < wanted) {
    const found = feeders.length ? `${feeders.length} (${feeders.map((i) => nameOf(df, i)).join(', ')})` : 'none';
    // A chain (the back end copies the front end's output, the final stage copies the back end):
    // say which stage copies from which, where, so the student sees what to untangle.
    const chained = feeders.flatMap((a) =>
      df.copies
        .filter((c) => c.stage === a && c.fromStage !== undefined && !chain.has(c.fromStage) && c.fromStage !== a)
        .map((c) => {
          const [to, from] = [nameOf(df, a), nameOf(df, c.fromStage!)];
          return `${to} copies from ${from} (\`${describe(c.instruction)}\`, line ${c.instruction.line}), so ${from} reaches the final image only through ${to} and the two build one after the other`;
        }),
    );
    const through = chained.length
      ? `; ${chained.join('; ')}: copy each stage's output into the final stage itself`
      : ': one per toolchain, each building its own part';
    return [{ line, kind: 'fan-in', problem: `the final stage copies from ${found} of the ${wanted} build stages this lab wants${through}` }];
  }
  const problems: StageProblem[] = [];
  for (const a of feeders) {
    const needed = needs(direct, a);
    for (const b of feeders) {
      if (a !== b && needed.has(b)) {
        // Point at what makes the dependency: the COPY --from in stage a that reaches b, or its FROM.
        const copy = df.copies.find((c) => c.stage === a && c.fromStage !== undefined && (c.fromStage === b || needs(direct, c.fromStage).has(b)));
        const cause = copy ? copy.instruction : df.stages[a]!.from;
        problems.push({
          line: cause.line,
          kind: 'fan-in',
          problem: `build stage ${nameOf(df, a)} needs ${nameOf(df, b)} (\`${describe(cause)}\`, line ${cause.line}), so they cannot build side by side: give each its own base and sources`,
        });
      }
    }
  }
  return problems;
}

export const multiStage = (opts: MultiStageOptions = {}): Check => ({
  id: 'multi-stage',
  ...CHECK_INFO['multi-stage'],
  needs: ['parse'],
  evaluate({ lint }) {
    if (!lint.ok) return fail('the Dockerfile does not parse');
    const problems = stageProblems(lint.dockerfile, opts);
    const stages = lint.dockerfile.stages.map((s) => s.name ?? `stage ${s.index}`);
    if (problems.length === 0) {
      return pass(`${stages.length} stages (${stages.join(' → ')}), final stage FROM ${finalBaseImage(lint.dockerfile)}`);
    }
    // Every distinct problem on its own line, most important first, up to a handful.
    const shown = problems.slice(0, 5).map((p) => `line ${p.line}: ${p.problem}`);
    if (problems.length > 5) shown.push(`and ${problems.length - 5} more (every one is in the JSON details)`);
    const hint = opts.fanInHint && problems[0]?.kind === 'fan-in' ? opts.fanInHint : undefined;
    return fail(shown.join('\n'), { problems, stages }, hint);
  },
});
