import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shownPath } from '../../../graders/format/path.js';

describe('a path as the user would type it', () => {
  it('is relative below the current folder, absolute elsewhere', () => {
    expect(shownPath(path.join(process.cwd(), 'labs', 'lab1-go', 'Dockerfile'))).toBe(path.join('labs', 'lab1-go', 'Dockerfile'));
    expect(shownPath('/etc/hostname')).toBe('/etc/hostname');
    expect(shownPath(path.resolve(process.cwd(), '..', 'elsewhere'))).toBe(path.resolve(process.cwd(), '..', 'elsewhere'));
    expect(shownPath(process.cwd())).toBe(process.cwd());
  });
});
