import { describe, expect, it } from 'vitest';
import { formatCount } from '../../../graders/format/bytes.js';

describe('a count, as the reports write it', () => {
  it("is written as toLocaleString('en-US') writes it: commas between thousands, three decimals at most", () => {
    const edges = [0, -0, 7, 999, 1000, 14_151, 1_234_567, -1_234_567, 1234.5, 0.25, -1.2345, -0.0005, 1.0005, 12_345.6789];
    const far = [4_000_000_000, 2 ** 53, 1e15, 9.99e20, 1e21, 1e300, 48_499_340_492.944496, Infinity, -Infinity, NaN];
    // Numbers of every size, with and without a fraction: a fixed sequence, so a failure is seen again.
    let seed = 7;
    const next = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const spread = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? Math.floor(next() * 10 ** (i % 22)) : (next() - 0.5) * 10 ** ((i % 16) - 4)));
    for (const n of [...edges, ...far, ...spread]) expect(formatCount(n), String(n)).toBe(n.toLocaleString('en-US'));
  });
});
