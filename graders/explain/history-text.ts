/**
 * An image's history says what made each layer, in the builder's words: BuildKit writes
 * `RUN /bin/sh -c go build . # buildkit` (with `|2 A=1 B=2 ` in front when build
 * arguments were set), the classic builder `/bin/sh -c #(nop)  COPY file:ab12… in /src`.
 * This turns either into the instruction as a person would write it: `RUN go build .`,
 * `COPY file:ab12… in /src`. Build arguments are dropped: they may hold a secret, and
 * the no-secrets rule reports those on its own.
 */
export function instructionText(createdBy: string): string {
  let text = createdBy.trim().replace(/\s+# buildkit$/, '');
  if (/^\|\d+ /.test(text)) {
    const shell = text.indexOf(' /bin/sh -c ');
    text = shell >= 0 ? text.slice(shell + 1) : 'RUN (a command run with build arguments)';
  }
  const nop = /^\/bin\/sh -c #\(nop\)\s+(.*)$/s.exec(text);
  if (nop) return nop[1]!.trim();
  const run = /^(?:RUN )?\/bin\/sh -c (.*)$/s.exec(text);
  if (run) return `RUN ${run[1]!.trim()}`;
  return text;
}
