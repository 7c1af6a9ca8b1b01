import { randomInt } from 'node:crypto';
import { stampValue, type StampCode, type StampFunction } from './stamp.js';

/** An HTTP answer, as much of it as a probe needs. */
export interface Answer {
  status: number;
  body: string;
}

/** One request the grader sends to the running app, and how to judge the answer. */
export interface Probe {
  /** Shown in reports: `GET /reverse?text=kayak`. */
  name: string;
  path: string;
  /** Undefined when the answer is right; otherwise what was wrong, in a few words. */
  judge(answer: Answer): string | undefined;
  /** When this probe passes, the probe its answer leads to (the asset a page links), if any. */
  next?(answer: Answer): Probe | undefined;
}

/** Probes are made fresh for every grade, so inputs are random and the stamp (and its function) this build's. */
export type ProbeFactory = (ctx: { nonce: string; stampFunction?: StampFunction }) => Probe;

export interface ProbeOutcome {
  name: string;
  ok: boolean;
  status?: number;
  problem?: string;
  ms: number;
}

const quote = (s: string, max = 60) => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

/** `GET path` must answer 200. */
export const health =
  (path: string): ProbeFactory =>
  () => ({
    name: `GET ${path}`,
    path,
    judge: (a) => (a.status === 200 ? undefined : `answered ${a.status}, expected 200`),
  });

/**
 * `GET path?x=N` must answer this build's stamp and, after a space, the value of this
 * build's stamp function for N: proof the image was built, and the program compiled, from
 * the submitted sources. Without a function (a grade that wrote none), the stamp alone.
 */
export const stamp =
  (path: string, code?: StampCode): ProbeFactory =>
  ({ nonce, stampFunction }) => {
    const x = randomInt(2 ** 32);
    const fn = code && stampFunction;
    return {
      name: `GET ${fn ? `${path}?x=${x}` : path} (this build's stamp)`,
      path: fn ? `${path}?x=${x}` : path,
      judge: (a) => {
        const body = a.body.trim();
        if (a.status !== 200) return `answered ${a.status}, expected 200 with this build's stamp`;
        // The stamp comes first, the function's value (digits) after a space: a stamp of the app's own is quoted without the value.
        const given = body === nonce || body.startsWith(`${nonce} `) ? nonce : fn ? body.replace(/\s+\d+$/, '') : body;
        if (given !== nonce) return `answered ${quote(given)}, not this build's stamp: the image was not built from the submitted sources`;
        if (!fn) return undefined;
        const want = String(stampValue(fn, x));
        const value = body.slice(nonce.length).trim() || undefined;
        if (value === want) return undefined;
        return (
          `answered this build's stamp, but ${value === undefined ? 'no value' : quote(value)} for the stamp function of x=${x}, where this build's gives ${want}: ` +
          `the app was not compiled from this build's sources (the grader writes a new stamp function into ${code.file} before every build)`
        );
      },
    };
  };

/** `GET path` must answer this status (a validation error, say). */
export const status =
  (path: string, expected: number): ProbeFactory =>
  () => ({
    name: `GET ${path}`,
    path,
    judge: (a) => (a.status === expected ? undefined : `answered ${a.status}, expected ${expected}`),
  });

type JsonProblem = (got: Record<string, unknown>) => string | undefined;

/** A judge for JSON answers: 200, a body that parses, and nothing `problem` objects to. */
const judgeJson =
  (problem: JsonProblem) =>
  (a: Answer): string | undefined => {
    if (a.status !== 200) return `answered ${a.status}, expected 200`;
    let got: Record<string, unknown>;
    try {
      got = JSON.parse(a.body) as Record<string, unknown>;
    } catch {
      return `answered ${quote(a.body)}, which is not JSON`;
    }
    return problem(got);
  };

/**
 * A probe with random input whose JSON answer is checked against what the grader computes.
 * `make` returns the path and the expected JSON (compared field by field).
 */
export const jsonProbe =
  (make: () => { path: string; expect: Record<string, unknown> }): ProbeFactory =>
  () => {
    const { path, expect } = make();
    return {
      name: `GET ${path}`,
      path,
      judge: judgeJson((got) => {
        for (const [key, want] of Object.entries(expect)) {
          if (JSON.stringify(got[key]) !== JSON.stringify(want)) {
            return `answered ${key}=${JSON.stringify(got[key])}, expected ${JSON.stringify(want)}`;
          }
        }
        return undefined;
      }),
    };
  };

/**
 * `GET path` must answer JSON that `problem` finds nothing wrong with: for answers that
 * are not one exact value (a count that must be above zero, say).
 */
export const jsonWhere =
  (path: string, problem: JsonProblem): ProbeFactory =>
  () => ({ name: `GET ${path}`, path, judge: judgeJson(problem) });

/**
 * `GET path` must serve an HTML page that links an asset matching `asset` (a pattern with
 * one group: the URL); that asset must then load too and contain `marker`. Proves a built
 * front end is served, hashed names and all.
 */
export const pageWithAsset =
  (path: string, asset: RegExp, what: string, marker: string): ProbeFactory =>
  () => ({
    name: `GET ${path} (the built page)`,
    path,
    judge: (a) =>
      a.status !== 200
        ? `answered ${a.status}, expected 200 with the built page`
        : asset.test(a.body)
          ? undefined
          : `answered a page that links no ${what}: is it the built page (dist/index.html), not the source template?`,
    next: (a) => {
      const url = asset.exec(a.body)![1]!;
      return {
        name: `GET ${url} (the ${what} the page links)`,
        path: url,
        judge: (b) =>
          b.status !== 200
            ? `answered ${b.status}: the page links ${url}, but the image does not serve it`
            : b.body.includes(marker)
              ? undefined
              : `answered 200, but not with the built ${what}`,
      };
    },
  });

const LETTERS = 'abcdefghijklmnopqrstuvwxyzäéñø';
/** A random lower-case word, some of its letters outside ASCII. */
export function randomWord(length = randomInt(1, 9)): string {
  return Array.from({ length }, () => LETTERS[randomInt(LETTERS.length)]).join('');
}
/** A few random words separated by single spaces. */
export function randomText(words = randomInt(1, 6)): string {
  return Array.from({ length: words }, () => randomWord()).join(' ');
}
export { randomInt };
