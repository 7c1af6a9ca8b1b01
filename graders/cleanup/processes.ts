import { readFileSync } from 'node:fs';

/** Whether a process is running (someone else's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/**
 * When a process started, in the kernel's clock ticks since boot (Linux's /proc), so that a
 * pid the system has given to another process since is not taken for the same one; undefined
 * where there is no /proc (macOS, Windows) or the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ')[19];
  } catch {
    return undefined;
  }
}

/** `<pid> <start time>`: a process, as a file can name it. */
export const processIdentity = (pid: number) => `${pid} ${processStartTime(pid) ?? ''}`.trim();

/** Whether the process a file named (processIdentity) is still that one, running. */
export function identityAlive(identity: string): boolean {
  const [pid, started] = identity.trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0 || !processAlive(n)) return false;
  return started === undefined || processStartTime(n) === undefined || processStartTime(n) === started;
}
