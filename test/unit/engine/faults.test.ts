import { describe, expect, it } from 'vitest';
import { engineFault } from '../../../graders/engine/faults.js';

describe("an engine's fault is not the student's", () => {
  it("names Docker 26-27's containerd-store context bug, what to do, and the engine's words", () => {
    const error = 'failed to read downloaded context: failed to load cache key: lookup build-context-x1y2z3 on 10.0.0.53:53: no such host';
    const fault = engineFault({ error, failedStep: { name: '[internal] load remote build context', error } });
    expect(fault).toMatch(/^this engine could not read the build context .* update Docker to 28 or newer/);
    expect(fault).toContain('(the engine said: failed to read downloaded context');
  });

  it('names a context Docker 28 lost (its build cache cleared during the build) without blaming the version', () => {
    const error = 'Get "http://build-context-lt7ee35xo6nd5gv0k41hq821k": context not found';
    const fault = engineFault({ error, failedStep: { name: '[internal] load remote build context', error } });
    expect(fault).toMatch(/^the engine lost the build context .* grade again \(the engine said: Get "http:\/\/build-context-/);
    expect(fault).not.toContain('update Docker');
  });

  it("takes a full engine disk while loading what the build needs as the engine's", () => {
    const error = 'write /var/lib/docker/tmp/x: no space left on device';
    expect(engineFault({ error, failedStep: { name: '[internal] load build context', error } })).toMatch(/^the engine's disk is full/);
  });

  it("leaves a step of the Dockerfile that fails, even for lack of space, to the student's checks", () => {
    expect(
      engineFault({
        error: 'exit code: 2',
        failedStep: { name: '[build 3/5] RUN go build .', error: 'process "/bin/sh -c go build ." did not complete successfully: exit code: 2' },
      }),
    ).toBeUndefined();
    expect(
      engineFault({ error: 'no space left on device', failedStep: { name: '[2/3] RUN dd if=/dev/zero of=/big', error: 'no space left on device' } }),
    ).toBeUndefined();
  });
});
