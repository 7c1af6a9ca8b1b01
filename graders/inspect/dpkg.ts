import picomatch from 'picomatch';
import type { LayerContent } from './layers.js';

/**
 * Debian packages that are a language's runtime: what an app runs on, not its sources and
 * not a toolchain. Debian's nodejs ships Node's TypeScript declarations
 * (/usr/share/nodejs/@types/node/*.d.ts); python3 its standard library; a JRE its modules.
 */
export const RUNTIME_PACKAGES = [
  'nodejs',
  'libnode[0-9]*',
  // What Debian's nodejs depends on (trixie): its bundled libraries, split out.
  'node-acorn',
  'node-cjs-module-lexer',
  'node-undici',
  'node-xtend',
  'node-balanced-match',
  'node-brace-expansion',
  'node-minimatch',
  'node-corepack',
  'python3',
  'python3-minimal',
  'python3.[0-9]*',
  'python3.[0-9]*-minimal',
  'libpython3.[0-9]*',
  'libpython3.[0-9]*-minimal',
  'libpython3.[0-9]*-stdlib',
  'openjdk-[0-9]*-jre',
  'openjdk-[0-9]*-jre-headless',
  'ca-certificates-java',
  'java-common',
];
const isRuntime = picomatch(RUNTIME_PACKAGES);

/** A package's file list, as dpkg keeps it: `var/lib/dpkg/info/<package>[:<arch>].list`. */
const LIST = /^var\/lib\/dpkg\/info\/([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?\.list$/;

/** The runtime package whose file list this is, or undefined. */
export function runtimePackageList(path: string): string | undefined {
  const name = LIST.exec(path)?.[1];
  return name && isRuntime(name) ? name : undefined;
}

/** A file list is read whole, up to this size (nodejs's is about 200 kB). */
export const MAX_LIST_BYTES = 4 * 1024 * 1024;

/** The paths a package's file list names, without the leading slash. */
export function listedPaths(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/^\/+/, ''))
    .filter(Boolean);
}

/**
 * Mark every file a runtime package installed, in the layer that installed it (apt writes
 * the files and the list in one step): a file the Dockerfile puts at such a path in another
 * layer is not the package's. A list a later layer deleted no longer counts.
 */
export function markRuntimeFiles(layers: LayerContent[]): void {
  for (const layer of layers) {
    const lists = (layer.packageLists ?? []).filter((l) => layer.files.find((f) => f.path === l.list)?.deletedIn === undefined);
    if (!lists.length) continue;
    const owner = new Map<string, string>();
    for (const l of lists) for (const p of l.paths) owner.set(p, l.name);
    for (const f of layer.files) {
      const name = owner.get(f.path);
      if (name) f.runtimePackage = name;
    }
  }
}
