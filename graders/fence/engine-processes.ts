// The engine's processes as /proc shows them: light to load (no engine client), as a grade's first
// look at whether an earlier probe's verdict still holds must be.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Each process's `/proc/<pid>/<file>`: its text, or why it could not be read (gone since the
 * listing, another user's). Read synchronously: /proc is in memory, and a read awaited one
 * process at a time cost 30 ms for this machine's 80 processes (a desktop runs hundreds).
 */
export function* eachProcess(file: string): Generator<{ pid: string; text?: string; error?: NodeJS.ErrnoException }> {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return;
  }
  for (const pid of names) {
    if (!/^\d+$/.test(pid)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/${file}`, 'latin1');
    } catch (error) {
      yield { pid, error: error as NodeJS.ErrnoException };
      continue;
    }
    yield { pid, text };
  }
}

/** The engine's processes (dockerd, containerd, buildkitd) the grader sees: `<name> <pid> <start time>` each; read before every grade's build. */
export function engineProcesses(): string[] {
  const engines: string[] = [];
  for (const { pid, text } of eachProcess('stat')) {
    const m = /^\d+ \((dockerd|containerd|buildkitd)\) (.*)$/s.exec(text ?? '');
    if (m) engines.push(`${m[1]} ${pid} ${m[2]!.split(' ')[19]}`);
  }
  return engines;
}
