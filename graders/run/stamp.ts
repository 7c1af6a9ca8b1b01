import { randomBytes, randomInt } from 'node:crypto';

/**
 * The stamp function: a few lines of code the grader writes into the app's sources before
 * every build, new constants and new steps each time, whose value the app must answer on
 * `/stamp?x=N`. The stamp file's string proves the image was built from this build's
 * files; but a program compiled elsewhere with a placeholder of the same length can have
 * that string patched in. Code the app must run can only come from compiling it: so an
 * answer right for a random x proves the build compiled the sources it was given.
 */

/** The languages the labs' apps are written in, each with its own spelling of the same steps. */
export type StampLanguage = 'go' | 'c' | 'java' | 'typescript';

/** Where a lab's sources hold the stamp function: the file, relative to the lab folder, and its language. */
export interface StampCode {
  file: string;
  language: StampLanguage;
}

/** One step on an unsigned 32-bit value. */
type Step = { op: 'xor' | 'add' | 'mul'; k: number } | { op: 'rotl'; k: number };

/** One build's stamp function: the steps, applied in order to x. */
export interface StampFunction {
  steps: Step[];
}

/** The marker lines around the function in every lab's source: the grader replaces what is between them. */
export const BEGIN_MARKER = '// >>> stamp function';
export const END_MARKER = '// <<< stamp function';

const STEPS = 6;

/** A fresh function: random steps with random constants (multipliers odd, so no step loses information). */
export function newStampFunction(): StampFunction {
  const steps: Step[] = [];
  for (let i = 0; i < STEPS; i++) {
    const op = (['xor', 'add', 'mul', 'rotl'] as const)[randomInt(4)]!;
    const k = op === 'rotl' ? randomInt(1, 32) : randomBytes(4).readUInt32BE() | (op === 'mul' ? 1 : 0);
    steps.push({ op, k: k >>> 0 });
  }
  return { steps };
}

/** The function's value for x, as every compiled spelling of it computes it. */
export function stampValue(fn: StampFunction, x: number): number {
  let v = x >>> 0;
  for (const s of fn.steps) {
    if (s.op === 'xor') v = (v ^ s.k) >>> 0;
    else if (s.op === 'add') v = (v + s.k) >>> 0;
    else if (s.op === 'mul') v = Math.imul(v, s.k) >>> 0;
    else v = ((v << s.k) | (v >>> (32 - s.k))) >>> 0;
  }
  return v;
}

const hex = (k: number) => `0x${k.toString(16).padStart(8, '0')}`;

/** The function in a language: the lines that go between the markers, indented like them. */
export function renderStampFunction(fn: StampFunction, language: StampLanguage, indent = ''): string[] {
  const body = fn.steps.map((s): string => {
    switch (language) {
      case 'go':
        return s.op === 'rotl' ? `x = x<<${s.k} | x>>${32 - s.k}` : `x ${{ xor: '^', add: '+', mul: '*' }[s.op]}= ${hex(s.k)}`;
      case 'c':
        return s.op === 'rotl' ? `x = (x << ${s.k}) | (x >> ${32 - s.k});` : `x ${{ xor: '^', add: '+', mul: '*' }[s.op]}= ${hex(s.k)}u;`;
      case 'java':
        // Java's int wraps as uint32 does; hexadecimal int literals may set the sign bit.
        return s.op === 'rotl' ? `x = Integer.rotateLeft(x, ${s.k});` : `x ${{ xor: '^', add: '+', mul: '*' }[s.op]}= ${hex(s.k)};`;
      case 'typescript':
        return s.op === 'rotl'
          ? `x = ((x << ${s.k}) | (x >>> ${32 - s.k})) >>> 0;`
          : s.op === 'mul'
            ? `x = Math.imul(x, ${hex(s.k)}) >>> 0;`
            : `x = (x ${s.op === 'xor' ? '^' : '+'} ${hex(s.k)}) >>> 0;`;
    }
  });
  const [open, close] = {
    go: ['func stampOf(x uint32) uint32 {', '}'],
    c: ['static uint32_t stamp_of(uint32_t x) {', '}'],
    java: ['static int stampOf(int x) {', '}'],
    typescript: ['export function stampOf(x: number): number {', '}'],
  }[language];
  const step = language === 'go' ? '\t' : language === 'typescript' ? '  ' : '    ';
  return [open, ...body.map((line) => step + line), `${step}return x${language === 'go' ? '' : ';'}`, close].map((line) => indent + line);
}

/**
 * The source with a new function between its marker lines (their indentation kept), or
 * undefined when the markers are not there as one pair.
 */
export function withStampFunction(source: string, fn: StampFunction, language: StampLanguage): string | undefined {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const lines = source.split(/\r?\n/);
  const begin = lines.findIndex((l) => l.trim() === BEGIN_MARKER);
  const end = lines.findIndex((l) => l.trim() === END_MARKER);
  if (begin < 0 || end < begin || lines.filter((l) => [BEGIN_MARKER, END_MARKER].includes(l.trim())).length !== 2) return undefined;
  const indent = /^\s*/.exec(lines[begin]!)![0];
  return [...lines.slice(0, begin + 1), ...renderStampFunction(fn, language, indent), ...lines.slice(end)].join(eol);
}
