import { describe, expect, it } from 'vitest';
import { summarise } from './stats.js';

describe('summarise', () => {
  it('finds the median of an even count', () => {
    expect(summarise([4, 1, 3, 2])).toEqual({ count: 4, min: 1, max: 4, mean: 2.5, median: 2.5 });
  });
});
