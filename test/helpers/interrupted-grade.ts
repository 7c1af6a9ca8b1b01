/**
 * A grader that is stopped while it grades: run as a child process by
 * test/integration/crash.test.ts. It grades a lab's solution (or the Dockerfile given),
 * sends itself SIGTERM when the grade reaches the stage named (or, given `container`, once
 * the grade's container exists), and prints on stdout how the grade ended, as JSON:
 * `{ "score": "5/5" }` for a verdict, `{ "cannotGrade": "…" }` or `{ "failed": "…" }`.
 * A cleanup of its own holds the process until the grade has ended, as a slow clean-up
 * would: the grade runs on while the cleanups remove what it uses.
 * Usage: node --import tsx interrupted-grade.ts <lab> <words of the stage | container> [Dockerfile]
 */
import { installInterruptHandlers, onInterrupt } from '../../graders/cleanup/on-interrupt.js';
import { docker, GRADER_LABEL } from '../../graders/engine/docker.js';
import { CannotGrade } from '../../graders/engine/errors.js';
import { findLab } from '../../graders/lab.js';
import { grade } from '../../graders/pipeline/grade.js';
import { silentProgress } from '../../graders/pipeline/progress.js';

installInterruptHandlers();
const [labName, when, dockerfile] = process.argv.slice(2);
let signalled = false; // once: a second signal ends the process at once
const stop = () => !signalled && (signalled = true) && process.kill(process.pid, 'SIGTERM');
let ended!: () => void;
const gradeEnded = new Promise<void>((resolve) => (ended = resolve));
onInterrupt(() => gradeEnded);

if (when === 'container') {
  const mine = (labels: Record<string, string>) => labels[GRADER_LABEL]?.endsWith(`/${process.pid}`);
  const look = setInterval(() => {
    void docker()
      .listContainers({ filters: { label: [GRADER_LABEL] } })
      .then((cs) => cs.some((c) => mine(c.Labels)) && (clearInterval(look), stop()));
  }, 20);
}
const outcome = await grade(await findLab(labName!), {
  dockerfile: dockerfile ? { kind: 'path', path: dockerfile } : { kind: 'solution' },
  runLimits: { startupTimeoutMs: 300_000 },
  progress: { ...silentProgress, stage: (text) => when !== 'container' && text.includes(when!) && stop() },
}).then(
  (r) => ({ score: `${r.score}/${r.maxScore}` }),
  (err: unknown) => (err instanceof CannotGrade ? { cannotGrade: err.message } : { failed: String(err) }),
);
process.stdout.write(`${JSON.stringify(outcome)}\n`);
ended();
setInterval(() => undefined, 1000); // only the signal's handler ends it, once its cleanups are done
