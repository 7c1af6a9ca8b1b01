import { describe, expect, it } from 'vitest';
import { boundDue, CHECK_EVERY_BYTES, KEEP_BYTES, removable } from '../../../graders/buildkit/cache.js';

describe("the build cache records a grade's clean-up may remove", () => {
  it("takes a step's layers, never BuildKit's own, one in use, or a build's downloaded context (another build's, perhaps, mid-way)", () => {
    const record = (Type: string, Description: string, InUse = false) => ({ Type, Description, InUse });
    expect(removable(record('regular', '[build 3/5] COPY src ./src'))).toBe(true);
    expect(removable(record('regular', 'mount / from exec /bin/sh -c go build -o /out/app .'))).toBe(true);
    expect(removable(record('exec.cachemount', 'cached mount /root/.cache/go-build from exec /bin/sh -c go build'))).toBe(true);
    expect(removable(record('internal', 'local source for context'))).toBe(false);
    expect(removable(record('regular', '[build 3/5] COPY src ./src', true))).toBe(false);
    expect(removable(record('regular', 'http url http://build-context-lt7ee35xo6nd5gv0k41hq821k'))).toBe(false);
  });
});

describe("when the bound on what a process's grades keep is checked (each check lists the engine's whole cache)", () => {
  it('never before the process has written KEEP_BYTES; then at once, and again only after CHECK_EVERY_BYTES more', () => {
    // A batch of 0.1 GB grades: which of them list the cache.
    let wrote = 0;
    let checkedAt = 0;
    const listed: number[] = [];
    for (let n = 1; n <= 60; n++) {
      wrote += 0.1e9;
      if (boundDue(wrote, checkedAt)) {
        listed.push(n);
        checkedAt = wrote;
      }
    }
    const first = Math.ceil(KEEP_BYTES / 0.1e9 - 1e-9);
    const every = Math.round(CHECK_EVERY_BYTES / 0.1e9);
    expect(listed[0]).toBe(first);
    expect(listed.slice(1).map((n, i) => n - listed[i]!)).toEqual(Array(listed.length - 1).fill(every));
    expect(listed.length).toBeLessThanOrEqual(Math.ceil((60 - first) / every) + 1);
  });
});
