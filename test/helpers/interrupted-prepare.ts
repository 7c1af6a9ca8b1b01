/**
 * A grader that is stopped while it copies a build context: run as a child process by
 * test/integration/crash.test.ts, which sends SIGTERM once the copy has started.
 * Usage: node --import tsx interrupted-prepare.ts <lab-folder> <Dockerfile>
 */
import { installInterruptHandlers } from '../../graders/cleanup/on-interrupt.js';
import { prepareContext } from '../../graders/prepare/context.js';

installInterruptHandlers();
const [labDir, dockerfile] = process.argv.slice(2);
await prepareContext({ labDir: labDir!, dockerfile: dockerfile!, stampFile: 'stamp.txt' });
setInterval(() => undefined, 1000); // a prepared grade that hangs on: only the signal ends it
