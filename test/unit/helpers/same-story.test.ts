import { describe, expect, it } from 'vitest';
import { storyDifferences } from '../../helpers/same-story.js';

describe('two grades tell the same story', () => {
  it('when figures differ by less than 2%: an apt layer of 60.20 MB against 59.28 MB, a cache of 95,577,234 B against 95,576,467 B', () => {
    expect(
      storyDifferences(
        { message: 'the apt layer (layer 3) is 60.20 MB', bytes: 95_577_234 },
        { message: 'the apt layer (layer 3) is 59.28 MB', bytes: 95_576_467 },
      ),
    ).toEqual([]);
  });
  it('not when a verdict, a word, a line number or a figure past 2% differs', () => {
    expect(storyDifferences({ passed: true }, { passed: false })).toEqual(['$.passed: true ≠ false']);
    expect(storyDifferences({ m: 'COPY . . (line 6) before it' }, { m: 'COPY . . (line 7) before it' })).toHaveLength(1);
    expect(storyDifferences({ m: 'ran again: COPY . .' }, { m: 'ran again' })).toHaveLength(1);
    expect(storyDifferences({ size: 100_000_000 }, { size: 103_000_000 })).toEqual(['$.size: 100000000 ≠ 103000000']);
    expect(storyDifferences({ checks: [1, 2] }, { checks: [1] })).toEqual(['$.checks: 2 items ≠ 1 items']);
    expect(storyDifferences({ hint: 'x' }, {})).toEqual(['$.hint: "x" ≠ undefined']);
  });
});
