/**
 * A grader that is stopped while it grades: run as a child process by
 * test/integration/crash.test.ts. It grades a lab's solution, sends itself SIGTERM when the
 * grade reaches the stage named, and prints on stdout how the grade ended, as JSON:
 * `{ "score": "5/5" }` for a verdict, `{ "cannotGrade": "…" }` or `{ "failed": "…" }`.
 * A cleanup of its own holds the process until the grade has ended, as a slow clean-up
 * would: the grade runs on while the cleanups remove what it uses.
 * Usage: node --import tsx interrupted-grade.ts <lab> <words of the stage>
 */
import { installInterruptHandlers, onInterrupt } from '../../graders/cleanup/on-interrupt.js';
import { CannotGrade } from '../../graders/engine/errors.js';
import { findLab } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { silentProgress } from '../../graders/pipeline/progress.js';

installInterruptHandlers();
const [labName, stageWords] = process.argv.slice(2);
let ended!: () => void;
const gradeEnded = new Promise<void>((resolve) => (ended = resolve));
onInterrupt(() => gradeEnded);

const outcome = await grade(await findLab(labName!), {
  dockerfile: { kind: 'solution' },
  progress: { ...silentProgress, stage: (text) => text.includes(stageWords!) && process.kill(process.pid, 'SIGTERM') },
}).then(
  (r) => ({ score: `${r.score}/${r.maxScore}` }),
  (err: unknown) => (err instanceof CannotGrade ? { cannotGrade: err.message } : { failed: String(err) }),
);
process.stdout.write(`${JSON.stringify(outcome)}\n`);
ended();
setInterval(() => undefined, 1000); // only the signal's handler ends it, once its cleanups are done
