/**
 * ARG and ENV expansion, evaluated by the grader before anything reaches the engine.
 * BuildKit expands `$NAME` and `${NAME…}` in the arguments of ENV, ARG, LABEL, COPY, ADD,
 * WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL and FROM, and in RUN's `--mount` fields; its
 * lexer inside dockerd is quadratic in a value's length and does not stop when the build
 * is cancelled, so `ENV A=$A$A` repeated twenty times burns the engine's CPU long after the
 * grade has ended. The grader expands the same words first, with every value capped, and
 * refuses a Dockerfile whose values grow past the caps: no honest one comes near them.
 */

/** The longest value an ARG or ENV may reach, and the longest expanded word: a long PATH is 200 characters. */
export const MAX_EXPANDED_VALUE = 4096;
/** Everything the Dockerfile's expansions produce together. */
export const MAX_EXPANDED_TOTAL = 65_536;

export class ExpansionTooLarge extends Error {
  constructor(readonly length: number) {
    super(`expanded to ${length} characters`);
  }
}

type Vars = ReadonlyMap<string, string>;

/** Past the cap, throw before the value is built. */
function check(length: number): void {
  if (length > MAX_EXPANDED_VALUE) throw new ExpansionTooLarge(length);
}

/**
 * Expand one word as BuildKit's shell lexer does, to within an upper bound: quotes and
 * escapes resolved, `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}` (with or without
 * the colon), nested words expanded; pattern operators (`#`, `%`, `/`) are taken at their
 * longest possible result. An unknown name (a base image's ENV) expands to nothing.
 */
export function expandWord(word: string, vars: Vars, escape = '\\'): string {
  let pos = 0;
  const out: string[] = [];
  let length = 0;
  const emit = (s: string) => {
    length += s.length;
    check(length);
    out.push(s);
  };
  const read = (inDouble: boolean): void => {
    while (pos < word.length) {
      const ch = word[pos]!;
      if (ch === escape) {
        emit(word[pos + 1] ?? '');
        pos += 2;
      } else if (ch === "'" && !inDouble) {
        const close = word.indexOf("'", pos + 1);
        const end = close < 0 ? word.length : close;
        emit(word.slice(pos + 1, end));
        pos = end + 1;
      } else if (ch === '"' && !inDouble) {
        pos++;
        read(true);
        pos++; // the closing quote
      } else if (ch === '"' && inDouble) {
        return;
      } else if (ch === '$') {
        pos++;
        emit(variable());
      } else {
        emit(ch);
        pos++;
      }
    }
  };
  const variable = (): string => {
    if (word[pos] !== '{') {
      const name = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9*#?$!@-]/.exec(word.slice(pos))?.[0];
      if (!name) return '$';
      pos += name.length;
      return vars.get(name) ?? '';
    }
    // ${…}: find the matching brace, then expand its parts.
    let depth = 0;
    let end = pos;
    for (; end < word.length; end++) {
      if (word[end] === escape) end++;
      else if (word[end] === '{') depth++;
      else if (word[end] === '}' && --depth === 0) break;
    }
    const inner = word.slice(pos + 1, end);
    pos = end + 1;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(.*)$/s.exec(inner);
    if (!m) return '';
    const value = vars.get(m[1]!);
    const op = m[2]!;
    if (op === '') return value ?? '';
    const sub = (text: string) => expandWord(text, vars, escape);
    const modifier = /^(:?[-+?=])(.*)$/s.exec(op);
    if (modifier) {
      const [, kind, rest] = modifier;
      const set = kind!.startsWith(':') ? Boolean(value) : value !== undefined;
      if (kind!.endsWith('+')) return set ? sub(rest!) : '';
      return set ? value! : sub(rest!);
    }
    const replace = /^\/\/?([^/]*)\/?(.*)$/s.exec(op);
    if (replace) {
      // Every character replaced by the replacement: the longest it can get.
      const replacement = sub(replace[2]!);
      const v = value ?? '';
      check(v.length * (1 + replacement.length));
      return `${v}${replacement.repeat(v.length)}`;
    }
    return value ?? ''; // #, ##, %, %%: removal never lengthens
  };
  read(false);
  return out.join('');
}

/** `A=1 B="two words"` (or the old `A value with spaces`) → pairs, values still to be expanded. */
export function assignments(args: string, legacy: boolean): [string, string][] {
  const text = args.trim();
  if (legacy && !/^[^\s=]+=/.test(text)) {
    const m = /^(\S+)\s*(.*)$/s.exec(text);
    return m ? [[m[1]!, m[2]!]] : [];
  }
  const pairs: [string, string][] = [];
  const word = /([^\s=]+)(?:=((?:"(?:\\.|[^"\\])*"|'[^']*'|\\.|[^\s"'\\])*))?/gs;
  for (const m of text.matchAll(word)) pairs.push([m[1]!, m[2] ?? '']);
  return pairs;
}
