import { describe, expect, it } from 'vitest';
import { removable } from '../../../graders/buildkit/cache.js';

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
