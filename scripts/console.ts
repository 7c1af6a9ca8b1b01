import { $, which } from 'zx';

/**
 * What the shell-heavy scripts (engine, cgroup2) share: a prefixed line on stderr, a failure
 * that ends the script with its exit code, zx without echo and without throwing, `have`.
 */
export function scriptConsole(name: string, failCode: number) {
  const say = (line: string) => process.stderr.write(`${name}: ${line}\n`);
  const fail = (line: string): never => {
    say(line);
    process.exit(failCode);
  };
  const quiet = $({ quiet: true, nothrow: true, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const have = async (command: string) => Boolean(await which(command, { nothrow: true }));
  return { say, fail, quiet, have };
}
