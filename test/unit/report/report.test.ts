import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../../../graders/report/terminal.js';
import { toJUnit } from '../../../graders/report/junit.js';
import type { GradeResult } from '../../../graders/pipeline/result.js';

/** The slides' titles and workshop numbers, as `npm run slides:facts` wrote them: a hint names both. */
const SLIDE_INDEX = JSON.parse(readFileSync(new URL('../../../slides/data/slide-index.json', import.meta.url), 'utf8')) as Record<
  string,
  { title: string; workshop: number }
>;

const result: GradeResult = {
  lab: 'lab1-go',
  dockerfile: 'labs/lab1-go/Dockerfile',
  passed: false,
  score: 1,
  maxScore: 3,
  image: { size: 1_130_000_000, standInBases: ['golang:1.24-trixie'] },
  checks: [
    { id: 'builds', title: 't', passed: true, skipped: false, message: 'built in 16.6 s', hint: 'h0', slide: 's0', details: {} },
    {
      id: 'size',
      title: 't',
      passed: false,
      skipped: false,
      message: '1.13 GB (ceiling 20 MB) & <more>',
      hint: 'Use a small final stage.',
      slide: 'slides/01-why-images-bloat.md#3',
      details: {},
    },
    { id: 'runs', title: 't', passed: false, skipped: true, message: 'skipped: the container was not run', hint: 'h2', slide: 's2', details: {} },
  ],
  notes: ['sizes were measured against stand-in base images built from Debian packages: golang:1.24-trixie'],
  durationMs: 34_600,
  timings: {},
};

describe('terminal report', () => {
  const text = renderTerminal(result, false);

  it('gives each check a mark and one line of reason', () => {
    expect(text).toContain('✓ builds  built in 16.6 s');
    expect(text).toContain('✗ size    1.13 GB (ceiling 20 MB) & <more>');
    expect(text).toContain('– runs    skipped: the container was not run');
  });

  it('gives a failed check its hint and slide, and a skipped one neither', () => {
    expect(text).toContain('hint: Use a small final stage.');
    expect(text).toContain(
      `read: slides/01-why-images-bloat.md#3 — "${SLIDE_INDEX['slides/01-why-images-bloat.md#3']!.title}", slide ${SLIDE_INDEX['slides/01-why-images-bloat.md#3']!.workshop} of the workshop`,
    );
    expect(text).not.toContain('h2');
    expect(text).not.toContain('h0');
  });

  it('ends with the notes and the score', () => {
    expect(text).toContain('note: sizes were measured against stand-in base images');
    expect(text).toMatch(/1\/3 checks passed — 1 check to fix \(size\); 1 skipped because the container was not run \(runs\) \(34\.6 s\)\n$/);
  });

  it('does not count skipped checks as checks to fix, and says why they were skipped', () => {
    const skip = (id: 'size' | 'no-toolchain' | 'runs', message: string) => ({
      id,
      title: 't',
      passed: false,
      skipped: true,
      message,
      hint: 'h',
      slide: 's',
      details: {},
    });
    const buildFailed: GradeResult = {
      ...result,
      maxScore: 5,
      checks: [
        { id: 'builds', title: 't', passed: false, skipped: false, message: 'RUN go build failed', hint: 'h', slide: 's', details: {} },
        { id: 'multi-stage', title: 't', passed: true, skipped: false, message: '2 stages', hint: 'h', slide: 's', details: {} },
        skip('size', 'skipped: there is no image: the build failed'),
        skip('no-toolchain', 'skipped: there is no image: the build failed'),
        skip('runs', 'skipped: there is no image to run: the build failed'),
      ],
    };
    const last = renderTerminal(buildFailed, false).trimEnd().split('\n').at(-1);
    expect(last).toBe('1/5 checks passed — 1 check to fix (builds); 3 skipped because the build failed (size, no-toolchain, runs) (34.6 s)');
    expect(last).not.toMatch(/4 check/);
  });

  it('uses no escape codes when colour is off', () => {
    expect(text).not.toMatch(/\u001b\[/);
  });
});

describe('JUnit report', () => {
  const xml = toJUnit([result]);

  it('has one test case per check, with failures and skips marked', () => {
    expect(xml).toMatch(/<testsuite name="stagecraft.lab1-go" time="34.6" tests="3" failures="1" errors="0" skipped="1">/);
    expect(xml).toContain('<testcase classname="stagecraft.lab1-go" name="builds"');
    expect(xml).toMatch(/<failure message="1.13 GB \(ceiling 20 MB\) &amp; &lt;more>" type="check-failed"/);
    expect(xml).toContain('<skipped/>');
  });
});

describe('student-controlled text cannot forge a report', () => {
  it('shows escape sequences and carriage returns visibly in every line-based format, and keeps HTML text', async () => {
    const { visible, oneLine, markdownText } = await import('../../../graders/format/text.js');
    const forged = 'step failed\r\u001b[1;32m✓ all 5 checks passed\u001b[0m';
    expect(oneLine(forged)).toBe('step failed\\r\\x1b[1;32m✓ all 5 checks passed\\x1b[0m');
    expect(visible('a\nb\u0007')).toBe('a\nb\\x07');
    expect(oneLine('a\nb')).toBe('a\\nb');
    const md = markdownText('<img src=x onerror=alert(1)> [click](http://x) | `x`');
    expect(md).not.toMatch(/<img|[^\\]\]\(/);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\[click\\](http://x) \\| \\`x\\`');
  });
});
