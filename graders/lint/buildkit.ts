/**
 * The parts of an instruction the policy must read exactly as BuildKit reads them, ported
 * from its Dockerfile frontend (moby/buildkit frontend/dockerfile: parser/parser.go,
 * parser/split_command.go, instructions/bflag.go, instructions/commands_runmount.go) and
 * Go's encoding/csv. dockerfile-ast, which the rest of the grader reads, is a language
 * server's parser: close, but not BuildKit's about quotes, backslashes and flags, and the
 * difference is where a submission hides what the policy must see.
 */

/** An instruction's first logical line (continuations joined) and what follows it (heredoc bodies). */
export interface LogicalInstruction {
  keyword: string;
  /** After the keyword: flags and arguments, continuation lines joined. */
  rest: string;
  /** For each character of `rest`, its offset in the raw text: so a span can be replaced in place. */
  origin: number[];
  /** The lines after the logical line: the heredocs' bodies, in order. */
  bodyLines: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Join an instruction's continuation lines as BuildKit's parser does: a line ending in the
 * escape character (spaces and tabs after it allowed) continues on the next; comment and
 * empty lines inside a continuation are dropped.
 */
export function logicalInstruction(raw: string, escape = '\\'): LogicalInstruction {
  const lines = raw.split('\n');
  const continuation = new RegExp(`${escapeRegExp(escape)}[ \\t]*\\r?$`);
  let text = '';
  const origin: number[] = [];
  let offset = 0;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const start = offset;
    offset += line.length + 1;
    if (i > 0 && (/^\s*#/.test(line) || line.trim() === '')) continue;
    const m = continuation.exec(line);
    const content = m ? line.slice(0, m.index) : line.replace(/\r$/, '');
    for (let c = 0; c < content.length; c++) origin.push(start + c);
    text += content;
    if (!m) break;
  }
  const head = /^\s*(\S+)\s*/.exec(text);
  const cut = head ? head[0].length : text.length;
  return { keyword: (head?.[1] ?? '').toUpperCase(), rest: text.slice(cut), origin: origin.slice(cut), bodyLines: lines.slice(i + 1) };
}

/** One `--name=value` word of an instruction, as BuildKit's flag parser reads it. */
export interface FlagWord {
  name: string;
  /** Quotes and backslashes resolved; null for a bare `--name`. */
  value: string | null;
  /** Where the word is in `rest` ([start, end)). */
  start: number;
  end: number;
  /** Its value was the next word (`--from build`): newer BuildKit reads it so, 0.8 refuses it. */
  spaced: boolean;
  /** The word had a backslash escape or a quote in it. */
  escaped: boolean;
}

/**
 * BuildKit's extractBuilderFlags: the leading `--` words of an instruction, and where its
 * arguments start. Inside a word `'…'` and `"…"` quote, and a backslash takes the next
 * character as it is; a bare `--flag` takes the next word as its value (BuildKit 0.2x).
 */
export function extractFlags(rest: string, bareFlagTakesNextWord = true): { flags: FlagWord[]; argsStart: number } {
  const flags: { text: string; start: number; end: number; spaced: boolean; escaped: boolean }[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let wordStart = 0;
  let escaped = false;
  let quote = '';
  let blankOk = false;
  let parsingFlagArg = false;
  let needFlagArg = true;
  const finish = (end: number) => {
    if (parsingFlagArg) {
      const last = flags.at(-1)!;
      Object.assign(last, { text: `${last.text}=${word}`, end, spaced: true, escaped: last.escaped || escaped });
      parsingFlagArg = false;
      needFlagArg = true;
    } else if (blankOk || word.length > 0) {
      if (needFlagArg && bareFlagTakesNextWord) parsingFlagArg = true;
      flags.push({ text: word, start: wordStart, end, spaced: false, escaped });
    }
  };
  for (let pos = 0; pos <= rest.length; pos++) {
    const ch = rest[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === rest.length) return { flags: toFlagWords(flags), argsStart: rest.length };
      if (/\s/.test(ch)) continue;
      if (!parsingFlagArg && (ch !== '-' || rest[pos + 1] !== '-')) return { flags: toFlagWords(flags), argsStart: pos };
      phase = 'word';
      wordStart = pos;
      word = '';
      escaped = false;
      blankOk = false;
    }
    if (pos === rest.length) {
      if (word !== '--') finish(pos);
      break;
    }
    if (phase === 'word') {
      if (/\s/.test(ch)) {
        phase = 'spaces';
        if (!parsingFlagArg && word === '--') return { flags: toFlagWords(flags), argsStart: pos };
        finish(pos);
        continue;
      }
      if (ch === '=' && needFlagArg) needFlagArg = false;
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        escaped = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        escaped = true;
        if (pos + 1 === rest.length) continue;
        pos++;
      }
      word += rest[pos];
      continue;
    }
    // phase === 'quote'
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      escaped = true;
      if (pos + 1 === rest.length) {
        phase = 'word';
        continue;
      }
      pos++;
    }
    word += rest[pos];
  }
  return { flags: toFlagWords(flags), argsStart: rest.length };
}

function toFlagWords(words: { text: string; start: number; end: number; spaced: boolean; escaped: boolean }[]): FlagWord[] {
  return words.map((w) => {
    const body = w.text.replace(/^--/, '');
    const eq = body.indexOf('=');
    return {
      name: eq < 0 ? body : body.slice(0, eq),
      value: eq < 0 ? null : body.slice(eq + 1),
      start: w.start,
      end: w.end,
      spaced: w.spaced,
      escaped: w.escaped,
    };
  });
}

/**
 * The flags of an instruction's raw text, as BuildKit reads them: `flags` as BuildKit 0.2x
 * does, `olderFlags` as BuildKit before it (a bare `--link` takes no word after it). They
 * differ only where a bare flag is followed by another word; a rule about what a flag
 * names reads both.
 */
export function instructionFlags(raw: string, escape?: string): { logical: LogicalInstruction; flags: FlagWord[]; olderFlags: FlagWord[]; args: string } {
  const logical = logicalInstruction(raw, escape);
  const { flags, argsStart } = extractFlags(logical.rest);
  return { logical, flags, olderFlags: extractFlags(logical.rest, false).flags, args: logical.rest.slice(argsStart).trim() };
}

/**
 * One record of Go's encoding/csv (comma-separated, no trimming, strict quotes): a field
 * that starts with `"` is quoted (`""` is a quote, commas are kept); a quote anywhere
 * else is an error, as BuildKit reports it.
 */
export function readCsvRecord(line: string): { fields: string[] } | { error: string } {
  const fields: string[] = [];
  let pos = 0;
  for (;;) {
    if (line[pos] === '"') {
      let field = '';
      pos++;
      for (;;) {
        const q = line.indexOf('"', pos);
        if (q < 0) return { error: 'a quoted field is not closed' };
        field += line.slice(pos, q);
        pos = q + 1;
        if (line[pos] === '"') {
          field += '"';
          pos++;
          continue;
        }
        if (pos === line.length || line[pos] === ',') break;
        return { error: 'a quote in the middle of a quoted field' };
      }
      fields.push(field);
    } else {
      const comma = line.indexOf(',', pos);
      const field = comma < 0 ? line.slice(pos) : line.slice(pos, comma);
      if (field.includes('"')) return { error: 'a quote in the middle of a field' };
      fields.push(field);
      pos = comma < 0 ? line.length : comma;
    }
    if (pos >= line.length) return { fields };
    pos++; // the comma
  }
}

/** `src` and `source` are one key to BuildKit, as are `target`, `dst` and `destination`. */
const KEY_ALIASES: Record<string, string> = { src: 'source', dst: 'target', destination: 'target', ro: 'readonly', rw: 'readwrite' };

export interface MountField {
  /** Lower case, aliases resolved (`dst` → `target`). */
  key: string;
  /** The key as written, lower case. */
  written: string;
  /** null for a bare option (`ro`, `required`). */
  value: string | null;
}

/** A `--mount=` value read as BuildKit reads it: one CSV record of key=value fields, keys in any case. */
export function parseMount(value: string): { fields: MountField[]; get(key: string): string | undefined } | { error: string } {
  const record = readCsvRecord(value);
  if ('error' in record) return record;
  const fields = record.fields.map((f): MountField => {
    const eq = f.indexOf('=');
    const written = (eq < 0 ? f : f.slice(0, eq)).toLowerCase();
    return { key: KEY_ALIASES[written] ?? written, written, value: eq < 0 ? null : f.slice(eq + 1) };
  });
  return { fields, get: (key) => [...fields].reverse().find((f) => f.key === key)?.value ?? undefined };
}

/** A `<<EOF` (or `<<-EOF`, `<<"EOF"`, `3<<EOF`) word: BuildKit's heredoc pattern on a word of the line. */
const HEREDOC_WORD = /^(\d*)<<(-?)\s*(["']?)([^<"']+)\3$/;
export const isHeredocWord = (word: string) => HEREDOC_WORD.test(word);

export interface Heredoc {
  name: string;
  chomp: boolean;
  /** The body, without its terminator line. */
  body: string[];
}

/** The heredocs of a RUN, COPY or ADD, with their bodies, in order; none for an instruction without. */
export function heredocs(logical: LogicalInstruction): Heredoc[] {
  const docs: Heredoc[] = [];
  let line = 0;
  for (const word of logical.rest.split(/\s+/)) {
    const m = HEREDOC_WORD.exec(word);
    if (!m) continue;
    const chomp = m[2] === '-';
    const name = m[4]!;
    const body: string[] = [];
    for (; line < logical.bodyLines.length; line++) {
      const text = logical.bodyLines[line]!.replace(/\r$/, '');
      if ((chomp ? text.replace(/^\t+/, '') : text) === name) {
        line++;
        break;
      }
      body.push(chomp ? text.replace(/^\t+/, '') : text);
    }
    docs.push({ name, chomp, body });
  }
  return docs;
}
