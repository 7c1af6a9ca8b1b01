import { describe, expect, it } from 'vitest';
import { CHECK_INFO, fillIn } from '../../../graders/checks/registry.js';
import { cacheFriendly, size } from '../../../graders/checks/index.js';

describe("the checks' registry", () => {
  it("fills a lab's value in where the words stand for it", () => {
    expect(size({ ceiling: 20_000_000 }).title).toBe('the final image is at most 20 MB');
    expect(cacheFriendly({ installs: ['node'] }).hint).toContain('the dependency manifests (package.json');
  });

  it('refuses to fill in words the text no longer has, rather than show a placeholder to a student', () => {
    expect(() => fillIn(CHECK_INFO.size.title, '<the ceiling>', '20 MB')).toThrow(/has no "<the ceiling>" to fill in/);
  });
});
