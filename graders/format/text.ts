/**
 * Student-controlled text (build output, app output, Dockerfile text, file names) reaches
 * every report. None of it may act on the reader's terminal or page: control characters
 * and escape sequences are shown as visible escapes (`\x1b`, `\r`), never sent raw.
 */

// C0 controls but tab and newline, DEL, C1 controls, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
const CONTROL_OR_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;

const shown = (c: string) => {
  const code = c.charCodeAt(0);
  if (c === '\r') return '\\r';
  if (c === '\n') return '\\n';
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
};

/** One line of untrusted text: every control character (newlines too) made visible. */
export const oneLine = (text: string): string => text.replace(CONTROL_OR_NEWLINE, shown);

/** Text whose newlines are the report's own line breaks: every other control character made visible. */
export const visible = (text: string): string => text.replace(CONTROL, shown);

/** Text for HTML, in an element or a quoted attribute: the five characters HTML gives meaning escaped. */
export const htmlText = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Markdown that renders exactly the text: HTML and Markdown syntax are escaped, lines kept apart with <br>. */
export function markdownText(text: string): string {
  return visible(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replaceAll('\n', '<br>');
}

/** The first line of an error's message (an engine's or a library's can run to pages). */
export const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
