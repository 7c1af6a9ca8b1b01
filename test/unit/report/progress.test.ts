import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusLine, terminalProgress } from '../../../graders/report/progress.js';

/** A stream that says it is a terminal of this width, and keeps what is written to it. */
function fakeTerminal(columns: number): NodeJS.WriteStream & { text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  let written = '';
  stream.on('data', (d: Buffer) => (written += d.toString()));
  Object.assign(stream, {
    isTTY: true,
    columns,
    rows: 24,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    text: () => written,
  });
  return stream;
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('the status line', () => {
  const ci = process.env.CI;
  beforeEach(() => delete process.env.CI);
  afterEach(() => (ci === undefined ? delete process.env.CI : (process.env.CI = ci)));

  it('is a spinner on a terminal: the status asked for before its library loaded shows once it has', async () => {
    const term = fakeTerminal(80);
    const progress = terminalProgress(term);
    progress.stage('preparing the build context');
    await until(() => term.text().includes('preparing the build context'));
    progress.done();
    expect(term.text()).toContain('preparing the build context');
    expect(term.text()).not.toContain('› preparing'); // the plain line is for logs, not terminals
  });

  it('is plain lines on a terminal of no width (a spinner there would clear lines forever)', () => {
    const term = fakeTerminal(0);
    expect(statusLine(term).interactive).toBe(false);
    const progress = terminalProgress(term);
    progress.stage('preparing the build context');
    progress.done();
    // Colour or not is the terminal's business (CI may force it): the words and the line end are ours.
    expect(stripVTControlCharacters(term.text())).toContain('› preparing the build context\n');
  });
});
