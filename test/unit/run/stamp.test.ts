import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { stamp } from '../../../graders/run/probes.js';
import { newStampFunction, renderStampFunction, stampValue, withStampFunction, type StampFunction } from '../../../graders/run/stamp.js';

const FIXED: StampFunction = {
  steps: [
    { op: 'xor', k: 0x9e3779b9 },
    { op: 'mul', k: 0x85ebca6b },
    { op: 'rotl', k: 13 },
    { op: 'add', k: 0xc2b2ae35 },
  ],
};

/** The TypeScript spelling, compiled and run: it must agree with the grader's value. */
function runTypeScript(fn: StampFunction): (x: number) => number {
  const source = renderStampFunction(fn, 'typescript').join('\n').replace('export ', '');
  const js = ts.transpileModule(`${source}\nreturn stampOf;`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  return new Function(js)() as (x: number) => number;
}

describe('the stamp function', () => {
  it('computes on unsigned 32 bits, step by step', () => {
    let v = (12345 ^ 0x9e3779b9) >>> 0;
    v = Number((BigInt(v) * 0x85ebca6bn) % 2n ** 32n);
    v = ((v << 13) | (v >>> 19)) >>> 0;
    v = (v + 0xc2b2ae35) % 2 ** 32;
    expect(stampValue(FIXED, 12345)).toBe(v);
    expect(stampValue(FIXED, 2 ** 32 - 1)).toBeLessThan(2 ** 32);
  });

  it('is new every grade: six random steps, odd multipliers, rotations of 1 to 31', () => {
    const fns = Array.from({ length: 200 }, newStampFunction);
    expect(new Set(fns.map((f) => JSON.stringify(f))).size).toBe(200);
    for (const { steps } of fns) {
      expect(steps).toHaveLength(6);
      for (const s of steps) {
        if (s.op === 'mul') expect(s.k % 2).toBe(1);
        if (s.op === 'rotl') (expect(s.k).toBeGreaterThanOrEqual(1), expect(s.k).toBeLessThanOrEqual(31));
        (expect(s.k).toBeGreaterThanOrEqual(0), expect(s.k).toBeLessThan(2 ** 32));
      }
    }
  });

  it("the TypeScript spelling, compiled and run, gives the grader's value", () => {
    for (let i = 0; i < 50; i++) {
      const fn = newStampFunction();
      const run = runTypeScript(fn);
      for (const x of [0, 1, 12345, 2 ** 31, 2 ** 32 - 1, Math.floor(Math.random() * 2 ** 32)]) expect(run(x)).toBe(stampValue(fn, x));
    }
  });

  it('is spelt in Go, C and Java as the labs compile it (their lab suites run it)', () => {
    expect(renderStampFunction(FIXED, 'go')).toEqual([
      'func stampOf(x uint32) uint32 {',
      '\tx ^= 0x9e3779b9',
      '\tx *= 0x85ebca6b',
      '\tx = x<<13 | x>>19',
      '\tx += 0xc2b2ae35',
      '\treturn x',
      '}',
    ]);
    expect(renderStampFunction(FIXED, 'c')).toContain('    x = (x << 13) | (x >> 19);');
    expect(renderStampFunction(FIXED, 'c')[0]).toBe('static uint32_t stamp_of(uint32_t x) {');
    expect(renderStampFunction(FIXED, 'java', '    ')).toEqual([
      '    static int stampOf(int x) {',
      '        x ^= 0x9e3779b9;',
      '        x *= 0x85ebca6b;',
      '        x = Integer.rotateLeft(x, 13);',
      '        x += 0xc2b2ae35;',
      '        return x;',
      '    }',
    ]);
  });
});

describe('withStampFunction', () => {
  const SOURCE = [
    'class App {',
    '    // >>> stamp function',
    '    static int stampOf(int x) {',
    '        return x;',
    '    }',
    '    // <<< stamp function',
    '}',
    '',
  ].join('\n');

  it('replaces what is between the markers, indented like them, and nothing else', () => {
    const out = withStampFunction(SOURCE, FIXED, 'java')!;
    expect(out.split('\n')).toEqual([
      'class App {',
      '    // >>> stamp function',
      ...renderStampFunction(FIXED, 'java', '    '),
      '    // <<< stamp function',
      '}',
      '',
    ]);
  });

  it('keeps Windows line endings', () => {
    expect(withStampFunction(SOURCE.replaceAll('\n', '\r\n'), FIXED, 'java')!.split('\r\n')).toHaveLength(SOURCE.split('\n').length + 4);
  });

  it('finds no place for the function when a marker is missing, out of order or doubled', () => {
    expect(withStampFunction('class App {}\n', FIXED, 'java')).toBeUndefined();
    expect(withStampFunction('// <<< stamp function\n// >>> stamp function\n', FIXED, 'go')).toBeUndefined();
    expect(withStampFunction(SOURCE + SOURCE, FIXED, 'java')).toBeUndefined();
  });
});

describe("the stamp probe: this build's stamp and its function's value", () => {
  const nonce = 'a'.repeat(24);
  const probe = stamp('/stamp', { file: 'main.go', language: 'go' })({ nonce, stampFunction: FIXED });
  const x = Number(new URL(probe.path, 'http://app').searchParams.get('x'));

  it('asks for a random x, and passes the right value only', () => {
    expect(probe.path).toMatch(/^\/stamp\?x=\d+$/);
    expect(probe.judge({ status: 200, body: `${nonce} ${stampValue(FIXED, x)}\n` })).toBeUndefined();
    expect(probe.judge({ status: 200, body: `${nonce} ${(stampValue(FIXED, x) ^ 1) >>> 0}\n` })).toMatch(
      new RegExp(
        `^answered this build's stamp, but "\\d+" for the stamp function of x=${x}, where this build's gives ${stampValue(FIXED, x)}: the app was not compiled from this build's sources \\(the grader writes a new stamp function into main\\.go before every build\\)$`,
      ),
    );
  });

  it('names a missing value, and a stamp that is not this build’s, as before', () => {
    expect(probe.judge({ status: 200, body: `${nonce}\n` })).toMatch(/^answered this build's stamp, but no value for the stamp function of x=/);
    expect(probe.judge({ status: 200, body: 'a stamp I made up' })).toBe(
      'answered "a stamp I made up", not this build\'s stamp: the image was not built from the submitted sources',
    );
    // An app of its own answers its stamp and a value: the stamp is what is quoted.
    expect(probe.judge({ status: 200, body: 'a stamp I made up 674638583\n' })).toBe(
      'answered "a stamp I made up", not this build\'s stamp: the image was not built from the submitted sources',
    );
    expect(probe.judge({ status: 200, body: `${nonce}x 1\n` })).toMatch(/^answered "a{24}x", not this build's stamp/);
    expect(probe.judge({ status: 500, body: '' })).toBe("answered 500, expected 200 with this build's stamp");
  });

  it('asks for the stamp alone when the grade wrote no function', () => {
    const plain = stamp('/stamp')({ nonce });
    expect(plain.path).toBe('/stamp');
    expect(plain.judge({ status: 200, body: `${nonce}\n` })).toBeUndefined();
  });
});
