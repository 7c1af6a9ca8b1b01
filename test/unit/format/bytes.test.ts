import { describe, expect, it } from 'vitest';
import { formatCount } from '../../../graders/format/bytes.js';

describe('a count, as the reports write it', () => {
  it("is written as toLocaleString('en-US') writes it: commas between thousands, three decimals at most", () => {
    for (const n of [0, 7, 999, 1000, 14_151, 1_234_567, -1_234_567, 1234.5, 0.25, 12_345.6789, 4_000_000_000, 1e15]) {
      expect(formatCount(n), String(n)).toBe(n.toLocaleString('en-US'));
    }
  });
});
