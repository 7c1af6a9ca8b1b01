/**
 * Every verdict and message the same on every engine students have: each lab's solution and
 * starter graded on each engine named in STAGECRAFT_ENGINES (`npm run test:engines`), through the
 * command as a student runs it, and the JSON results compared with the first engine's: the same
 * verdicts, words and hints, figures within 2% (test/helpers/same-story.ts).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bed, BED_NAMES, type BedName } from '../../graders/engine/beds.js';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { runCli } from '../helpers/cli.js';
import { storyDifferences } from '../helpers/same-story.js';

const names = (process.env.STAGECRAFT_ENGINES ?? '').split(/[\s,]+/).filter(Boolean);
const unknown = names.filter((n) => !BED_NAMES.includes(n as BedName));
const labs = readdirSync(path.join(REPO_ROOT, 'labs'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^lab\d/.test(d.name))
  .map((d) => d.name);

interface Check {
  id: string;
  passed: boolean;
  skipped: boolean;
  message: string;
  hint: string;
  details: Record<string, unknown>;
}
interface Result {
  passed: boolean;
  score: number;
  image?: { size?: number; standInBases?: string[] };
  checks: Check[];
  notes: string[];
}

/** Times differ from run to run and engine to engine; everything else must not. */
const untimed = (text: string) => text.replace(/\b\d+(\.\d+)? (s|ms)\b/g, 'N (time)');

/** What a student and a gradebook see: verdicts, messages, hints, sizes, findings; not timings or usage. */
function seen(r: Result) {
  return {
    passed: r.passed,
    score: r.score,
    size: r.image?.size,
    standInBases: r.image?.standInBases,
    checks: r.checks.map((c) => {
      const { usage, readyMs, probes, logTail, ...details } = c.details as Record<string, unknown>;
      (void usage, readyMs, logTail);
      return {
        id: c.id,
        passed: c.passed,
        skipped: c.skipped,
        message: untimed(c.message),
        hint: c.hint,
        details: JSON.parse(untimed(JSON.stringify(details))),
        // A probe sends random inputs: its name without them.
        probes: (probes as { name: string; ok: boolean; status?: number }[] | undefined)?.map((p) => ({
          name: p.name.replace(/\?\S*/, ''),
          ok: p.ok,
          status: p.status,
        })),
      };
    }),
    notes: r.notes.map(untimed),
  };
}

function gradeOn(engine: BedName, lab: string, which: 'solution' | 'starter') {
  const r = runCli(['grade', lab, '--json', ...(which === 'solution' ? ['--solution'] : [])], bed(engine).env, 25 * 60_000);
  if (r.status === 2 || !r.stdout.trim())
    throw new Error(`${lab} ${which} could not be graded on ${bed(engine).title}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return seen(JSON.parse(r.stdout) as Result);
}

describe('the same verdicts on every engine', () => {
  it(`names at least two known engines (STAGECRAFT_ENGINES="${names.join(' ')}")`, () => {
    expect(unknown, `unknown engines: ${unknown.join(', ')} (known: ${BED_NAMES.join(', ')})`).toEqual([]);
    expect(names.length).toBeGreaterThanOrEqual(2);
  });

  for (const lab of labs) {
    for (const which of ['solution', 'starter'] as const) {
      it(`${lab} ${which}: ${names.join(' = ')}`, () => {
        const [first, ...others] = names as BedName[];
        const reference = gradeOn(first!, lab, which);
        for (const engine of others) {
          const differences = storyDifferences(reference, gradeOn(engine, lab, which));
          expect(differences, `${bed(engine).title} against ${bed(first!).title}`).toEqual([]);
        }
      });
    }
  }
});
