import { parse, type ParseEntry } from 'shell-quote';
import { heredocs, instructionFlags, isHeredocWord } from '../lint/buildkit.js';

/** The package-manager families a lab's dependency install can come from. */
export type Ecosystem = 'node' | 'python' | 'java' | 'go';

/** What students read: the manifests each family installs from, and the commands that do it. */
export const ECOSYSTEMS: Record<Ecosystem, { manifests: string; commands: string }> = {
  node: { manifests: 'package.json and its lockfile (package-lock.json, pnpm-lock.yaml or yarn.lock)', commands: '`npm ci`, `pnpm install` or `yarn install`' },
  python: { manifests: 'requirements.txt or pyproject.toml', commands: '`pip install -r requirements.txt`, `uv sync` or `poetry install`' },
  java: { manifests: 'pom.xml or build.gradle', commands: '`mvn dependency:go-offline` or `gradle dependencies`' },
  go: { manifests: 'go.mod and go.sum', commands: '`go mod download`' },
};

/** One simple command of a RUN line: the program (its file name) and its arguments. */
interface SimpleCommand {
  program: string;
  args: string[];
}

/** Programs that run the command after them (`sudo npm ci`, `env CI=1 npm ci`, `time go mod download`). */
const WRAPPERS = new Set(['sudo', 'env', 'time', 'exec', 'nice', 'nohup', 'command', 'xargs']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh']);
/** Packages that are tools, not the app's dependencies: installing only these is no dependency install. */
const TOOL_PACKAGES = new Set(['pip', 'setuptools', 'wheel', 'uv', 'poetry', 'pipenv', 'pdm', 'build', 'virtualenv', 'npm', 'pnpm', 'yarn', 'corepack']);

const words = (entries: ParseEntry[]): string[] => entries.filter((e): e is string => typeof e === 'string');
const baseName = (program: string) => program.slice(program.lastIndexOf('/') + 1);
/** `pnpm@9.12.0` → `pnpm`, `@scope/x@1` → `@scope/x`. */
const withoutVersion = (name: string) => name.replace(/(.)@.*$/, '$1');

/**
 * The simple commands of a shell command line, split at `&&`, `||`, `;`, `|`, `&`, parentheses
 * and line ends; `sh -c '…'` is looked into. Variables stay as written (`$HOME`).
 */
export function simpleCommands(script: string, depth = 0): SimpleCommand[] {
  const text = script.replace(/\\\r?\n/g, ' ').replace(/\r?\n/g, ' ; ');
  let entries: ParseEntry[];
  try {
    entries = parse(text, (name) => `$${name}`);
  } catch {
    return [];
  }
  const commands: SimpleCommand[] = [];
  let current: string[] = [];
  const flush = () => {
    // Leading assignments (`CI=1 npm ci`) and wrappers (`sudo`, `env -i`) are not the program.
    let rest = current;
    for (;;) {
      while (rest.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0]!)) rest = rest.slice(1);
      if (rest.length && WRAPPERS.has(baseName(rest[0]!))) {
        rest = rest.slice(1);
        while (rest.length && rest[0]!.startsWith('-')) rest = rest.slice(1);
        continue;
      }
      break;
    }
    if (rest.length) {
      const program = baseName(rest[0]!);
      const c = rest.indexOf('-c');
      if (SHELLS.has(program) && c > 0 && rest[c + 1] !== undefined && depth < 3) commands.push(...simpleCommands(rest[c + 1]!, depth + 1));
      else commands.push({ program, args: rest.slice(1) });
    }
    current = [];
  };
  for (const e of entries) {
    if (typeof e === 'string') current.push(e);
    else if ('op' in e && e.op !== 'glob') {
      // A redirection takes the next word as its file, not as an argument.
      if (/^[<>]/.test(e.op)) {
        if (/^\d+$/.test(current.at(-1) ?? '')) current.pop(); // `2>/dev/null`: the 2 is the redirection's
        current.push('\u0000redirect');
      } else flush();
    } else if ('pattern' in e) current.push(e.pattern);
    else if ('comment' in e) flush();
  }
  flush();
  return commands.map((c) => ({ ...c, args: c.args.filter((a, i) => a !== '\u0000redirect' && c.args[i - 1] !== '\u0000redirect') }));
}

/** Flags of these tools that take the next word as their value (`pnpm -C app install`). */
const VALUE_FLAGS = new Set([
  '-C',
  '--dir',
  '--prefix',
  '--cwd',
  '--filter',
  '-F',
  '--workspace',
  '-w',
  '--registry',
  '--cache',
  '--cache-dir',
  '--userconfig',
]);

/** The first argument that is not an option (and not an option's value): the subcommand. */
function subcommand(args: string[]): { sub?: string; after: string[] } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith('-')) return { sub: a, after: args.slice(i + 1) };
  }
  return { after: [] };
}

const positionals = (args: string[]) => {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (VALUE_FLAGS.has(args[i]!)) i++;
    else if (!args[i]!.startsWith('-')) out.push(args[i]!);
  }
  return out;
};
const isGlobal = (args: string[]) => args.some((a) => a === '-g' || a === '--global' || a === '--location=global' || a === '--user');
/** `pnpm@9`, `poetry==1.8`, `pip>=24`, `uv[extra]`: the package's name. */
const packageName = (spec: string) =>
  withoutVersion(spec)
    .replace(/[=<>!~[;].*$/, '')
    .toLowerCase();
const onlyTools = (names: string[]) => names.length > 0 && names.every((n) => TOOL_PACKAGES.has(packageName(n)));

/** `npx pnpm install`, `corepack pnpm install`, `python -m pip install`: the tool they run, as a command of its own. */
function unwrapRunner(c: SimpleCommand): SimpleCommand {
  if ((c.program === 'corepack' || c.program === 'npx' || c.program === 'pnpx') && c.args.length) {
    const i = c.args.findIndex((a) => !a.startsWith('-'));
    const tool = i >= 0 ? withoutVersion(c.args[i]!) : '';
    if (['npm', 'pnpm', 'yarn'].includes(tool)) return { program: tool, args: c.args.slice(i + 1) };
  }
  if (/^python[\d.]*$/.test(c.program) && c.args[0] === '-m' && c.args[1]) return { program: c.args[1], args: c.args.slice(2) };
  return c;
}

/** Whether one simple command installs a project's dependencies (not a tool, not one named package added). */
function installs(raw: SimpleCommand, ecosystems: readonly Ecosystem[]): boolean {
  const c = unwrapRunner(raw);
  const { sub, after } = subcommand(c.args);
  const has = (e: Ecosystem) => ecosystems.includes(e);
  if (has('node')) {
    if (c.program === 'npm') {
      if (sub === 'ci' || sub === 'clean-install') return true;
      if (['install', 'i', 'in', 'add', 'isntall'].includes(sub ?? '')) return !isGlobal(c.args) && positionals(after).length === 0;
    }
    if (c.program === 'pnpm') {
      if (sub === 'fetch') return true;
      if (sub === 'install' || sub === 'i') return !isGlobal(c.args);
    }
    if (c.program === 'yarn') {
      if (sub === undefined) return c.args.every((a) => a.startsWith('-')) && !isGlobal(c.args);
      if (sub === 'install') return true;
      if (sub === 'workspaces' && after[0] === 'focus') return true;
    }
  }
  if (has('python')) {
    if (/^pip[\d.]*$/.test(c.program) && sub === 'install') return !isGlobal(c.args) && !onlyTools(positionals(after));
    if (c.program === 'uv') {
      if (sub === 'sync') return true;
      if (sub === 'pip') {
        const inner = subcommand(after);
        if (inner.sub === 'sync') return true;
        if (inner.sub === 'install') return !onlyTools(positionals(inner.after));
      }
    }
    if (['poetry', 'pipenv', 'pdm'].includes(c.program) && (sub === 'install' || sub === 'sync')) return true;
  }
  if (has('java')) {
    if (c.program === 'mvn' || c.program === 'mvnw')
      return c.args.some((a) => /^dependency:(go-offline|resolve|resolve-plugins)$/.test(a) || /go-offline-maven-plugin:resolve-dependencies$/.test(a));
    if (c.program === 'gradle' || c.program === 'gradlew')
      return c.args.some((a) => ['dependencies', 'downloadDependencies', 'resolveDependencies'].includes(a));
  }
  if (has('go') && c.program === 'go' && sub === 'mod') return subcommand(after).sub === 'download';
  return false;
}

/** The text of a RUN instruction's command: its options (`--mount=…`) left out, the exec form joined. */
export function runCommandText(args: string): string {
  const text = args.replace(/^(\s*--\S+\s+)+/, '').trim();
  if (text.startsWith('[')) {
    try {
      const argv = JSON.parse(text) as unknown;
      if (Array.isArray(argv) && argv.every((a) => typeof a === 'string')) {
        // ["sh", "-c", "npm ci"] runs a shell; ["npm", "ci"] runs npm with no shell.
        return SHELLS.has(baseName(argv[0] ?? '')) && argv[1] === '-c'
          ? (argv[2] ?? '')
          : argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
      }
    } catch {
      // not JSON: a shell command that starts with a bracket
    }
  }
  return text;
}

/**
 * What a RUN runs, as shell text: its options left out, the exec form joined, and a heredoc
 * that is the script (`RUN <<EOF`, `RUN bash -e <<EOF`) read as its lines. A heredoc fed to
 * another program (`cat <<EOF > notes`) is that program's input, not commands.
 */
export function runScript(raw: string, escape?: string): string {
  const { logical, args } = instructionFlags(raw, escape);
  const docs = heredocs(logical);
  if (docs.length === 0) return runCommandText(args);
  const command = args.split(/\s+/).filter((w) => w && !isHeredocWord(w));
  const script = docs.map((d) => d.body.join('\n')).join('\n');
  if (command.length === 0) return script;
  if (SHELLS.has(baseName(command[0]!)) && !command.includes('-c')) return script;
  return command.join(' ');
}

/** Whether a RUN's script (runScript) installs the dependencies of one of these package-manager families. */
export function installsDependencies(script: string, ecosystems: readonly Ecosystem[]): boolean {
  return simpleCommands(script).some((c) => installs(c, ecosystems));
}
