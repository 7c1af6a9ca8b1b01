import { describe, expect, it } from 'vitest';
import { engineReason } from '../../../graders/run/graded-container.js';

/** An error as dockerode gives it: the engine's JSON message. */
const refusal = (message: string) => Object.assign(new Error(`(HTTP code 400) unexpected - ${message}`), { json: { message } });

describe("the engine's reason for not starting a container", () => {
  it.each([
    // Docker 20.10 (runc 1.1)
    [
      'OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "/app": stat /app: no such file or directory: unknown',
      'exec: "/app": stat /app: no such file or directory',
    ],
    ['No command specified', 'no command specified'],
    // Docker 28 (runc 1.2+)
    [
      'failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "/app": stat /app: no such file or directory: unknown',
      'exec: "/app": stat /app: no such file or directory',
    ],
    ['no command specified', 'no command specified'],
    ['unable to find user nonroot: no matching entries in passwd file', 'unable to find user nonroot: no matching entries in passwd file'],
  ])('%s → the same words on every engine', (engine, shown) => {
    expect(engineReason(refusal(engine))).toBe(shown);
  });
});
