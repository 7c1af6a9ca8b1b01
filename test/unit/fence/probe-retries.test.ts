import { describe, expect, it } from 'vitest';
import { probeWithRetries, type ProbeVerdict } from '../../../graders/fence/probe.js';

/** A probe that answers from a script, and records how long it was told to look for its step. */
function scripted(...answers: ProbeVerdict[]) {
  const waits: number[] = [];
  const probe = async (_images: string[], unseenAfterMs: number) => {
    waits.push(unseenAfterMs);
    return answers.shift() ?? { ok: false as const, reason: 'no more answers' };
  };
  return { probe, waits };
}

const found: ProbeVerdict = { ok: true, site: { kind: 'v1' } as never, inside: '' };
const missed: ProbeVerdict = { ok: false, reason: 'the probe step was not seen within 3 s (a busy machine)', retry: true };
const noImage: ProbeVerdict = { ok: false, reason: 'none of debian:trixie-slim is on the engine to probe with (run `npm run images`)', retry: true };
const notRoot: ProbeVerdict = { ok: false, reason: 'the grader is not root' };

describe("the fence's probe, tried again", () => {
  it('looks again, each time longer, when it missed its step on a busy machine', async () => {
    const { probe, waits } = scripted(missed, missed, found);
    expect(await probeWithRetries(['debian:trixie-slim'], 0, probe)).toBe(found);
    expect(waits).toEqual([3_000, 10_000, 30_000]);
  });

  it('gives up after its longest look, with the last reason', async () => {
    const { probe, waits } = scripted(missed, missed, missed, found);
    expect(await probeWithRetries([], 0, probe)).toBe(missed);
    expect(waits).toHaveLength(3);
  });

  it('never retries a reason that cannot pass (not root, a VM, a remote engine)', async () => {
    const { probe, waits } = scripted(notRoot, found);
    expect(await probeWithRetries([], 0, probe)).toBe(notRoot);
    expect(waits).toHaveLength(1);
  });

  it('waits for a base image while images are being provided, without spending a try', async () => {
    const { probe, waits } = scripted(noImage, noImage, noImage, noImage, missed, found);
    expect(await probeWithRetries([], 60_000, probe, 1)).toBe(found);
    expect(waits).toEqual([3_000, 3_000, 3_000, 3_000, 3_000, 10_000]);
  });

  it('stops waiting for an image when the wait is over, saying so', async () => {
    const { probe } = scripted(noImage, noImage, noImage, noImage, noImage, noImage, noImage);
    expect(await probeWithRetries([], 0, probe, 1)).toBe(noImage);
  });
});
