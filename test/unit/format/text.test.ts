import { describe, expect, it } from 'vitest';
import { firstLine } from '../../../graders/format/text.js';

describe("an error's first line", () => {
  it('keeps only the first line of an error, or of anything thrown', () => {
    expect(firstLine(new Error('no such image: golang:1.24\n  at Docker.pull (docker.js:12)\n  at …'))).toBe('no such image: golang:1.24');
    expect(firstLine('plain text\nmore')).toBe('plain text');
    expect(firstLine(undefined)).toBe('undefined');
  });
});
