import { readFileSync } from 'node:fs';
import type { PathRule } from './rule.js';

/**
 * Path rules that name what a file is. Globs cover both upstream layouts (/usr/local/go,
 * /usr/local/bin/python3, /opt/java/openjdk) and Debian's (the stand-ins: /usr/lib/go-1.24);
 * labs/README.md ("Forbidden paths against upstream's layout") lists them side by side.
 */

// --- toolchains -------------------------------------------------------------------

export const GO_TOOLCHAIN: PathRule = {
  kind: 'toolchain',
  what: 'the Go toolchain',
  globs: ['usr/local/go/**', 'usr/lib/go-*/**', 'usr/share/go-*/**', '**/bin/go', '**/bin/gofmt', '**/pkg/tool/*/compile', '**/pkg/tool/*/link'],
  // The go command, its compiler and linker say what they are in their build information.
  goModules: ['cmd/*', 'golang.org/toolchain'],
  debPackages: ['golang-[0-9]*-go'],
};

export const GCC: PathRule = {
  kind: 'toolchain',
  what: 'gcc',
  globs: ['**/bin/gcc', '**/bin/gcc-[0-9]*', '**/bin/*-linux-gnu-gcc*', '**/bin/cc', '**/bin/c++', '**/bin/g++*', '**/gcc/**/cc1', '**/gcc/**/cc1plus'],
  // Debian's gcc driver and cc1 carry the package they were built in (trixie splits them per architecture).
  debPackages: ['gcc', 'gcc-[0-9]*', 'g++', 'g++-[0-9]*', 'cpp', 'cpp-[0-9]*'],
  // Every gcc program carries gcc's own strings, whoever built it and whatever notes were removed.
  banners: ['gcc'],
};

export const GO_SOURCES: PathRule = {
  kind: 'toolchain',
  what: 'Go sources',
  globs: ['**/*.go', '**/go.mod', '**/go.sum'],
  // Example code in system packages' docs (git's contrib/) is not the app's; a copy the
  // Dockerfile makes there is.
  exceptInBase: ['usr/share/**'],
  labFiles: ['**/*.go', 'go.mod'],
  notInRuntimePackages: true,
};

/** npm's own bundled packages live in node_modules folders too; they are not the app's. */
const NPM_ITSELF = ['usr/local/lib/node_modules/npm/**', 'usr/lib/node_modules/npm/**', 'usr/share/nodejs/**', 'opt/yarn-*/**'];

/**
 * Every package a lockfile marks as needed only in development (`"dev": true`): the
 * devDependencies and everything only they pull in, wherever a node_modules holds them.
 */
export function npmDevDependencies(lockfile: string): PathRule {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { dev?: boolean }> };
  const names = new Set<string>();
  for (const [key, meta] of Object.entries(lock.packages ?? {})) {
    if (meta.dev && key.includes('node_modules/')) names.add(key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  return {
    kind: 'toolchain',
    what: 'dev dependencies',
    globs: [...names].sort().map((name) => `**/node_modules/${name}/**`),
    exceptInBase: NPM_ITSELF,
    notInRuntimePackages: true,
  };
}

export const TYPESCRIPT_SOURCES: PathRule = {
  kind: 'toolchain',
  what: 'TypeScript sources and config',
  globs: ['**/*.ts', '**/*.mts', '**/*.cts', '**/tsconfig*.json'],
  // Dependencies ship their own .ts and .d.ts; the lab's own sources are found by their
  // bytes wherever they are put, node_modules included.
  except: ['**/node_modules/**'],
  exceptInBase: NPM_ITSELF,
  labFiles: ['src/**/*.ts', 'tsconfig.json'],
  // Debian's nodejs ships Node's declarations (/usr/share/nodejs/@types/node/*.d.ts): Node.js, not the app.
  notInRuntimePackages: true,
};

export const PYTHON_HEADERS: PathRule = {
  kind: 'toolchain',
  what: "Python's C headers",
  globs: ['usr/include/python3*/**', 'usr/local/include/python3*/**'],
};

export const C_SOURCES: PathRule = {
  kind: 'toolchain',
  what: 'C sources',
  globs: ['**/*.c'],
  // System packages ship a few .c files of their own (X11 headers, docs); the app's are what count.
  exceptInBase: ['usr/include/**', 'usr/share/**', 'usr/lib/**', 'usr/local/lib/**'],
  labFiles: ['**/*.c'],
  notInRuntimePackages: true,
};

/** What only a JDK has: the compiler, the jar and jlink tools, and the jmods jlink links from. */
export const JDK_TOOLS: PathRule = {
  kind: 'toolchain',
  what: 'the JDK (javac, jar, jlink, jmods)',
  globs: ['**/bin/javac', '**/bin/jar', '**/bin/jlink', '**/bin/jdeps', '**/jmods/*.jmod', '**/lib/ct.sym'],
  // A module file is what jlink links from, whatever it is called; Debian's JDK packages say what they are.
  formats: ['jmod'],
  debPackages: ['openjdk-[0-9]*-jdk', 'openjdk-[0-9]*-jdk-headless'],
};

export const JAVA_SOURCES: PathRule = {
  kind: 'toolchain',
  what: 'Java sources and compiled classes outside a jar',
  globs: ['**/*.java', '**/*.class'],
  // Classes inside a jar are how Java ships; a JDK's own src.zip and demos are JDK_TOOLS' business.
  except: ['**/*.jar'],
  exceptInBase: ['usr/lib/jvm/**', 'opt/java/**', 'usr/share/**'],
  labFiles: ['src/**/*.java'],
  notInRuntimePackages: true,
};

/** Node.js itself, npm, and any node_modules: a bundled front end needs none of them. */
export const NODE_TOOLCHAIN: PathRule = {
  kind: 'toolchain',
  what: 'Node.js, npm or node_modules',
  globs: ['**/bin/node', '**/bin/nodejs', '**/bin/npm', '**/node_modules/**'],
};

/**
 * A front end's sources, template and build files, recognised by their bytes wherever they
 * are copied (the built bundle and page differ from them, so they pass wherever they go).
 */
export const FRONTEND_SOURCES: PathRule = {
  kind: 'toolchain',
  what: 'front-end sources and build files',
  globs: [],
  labFiles: ['web/index.html', 'web/build.mjs', 'web/package.json', 'web/package-lock.json', 'web/src/**'],
};

/**
 * 10 MB or more of data that nothing can look into, added by the Dockerfile: xz, zstd or
 * bzip2 archives, base64 text, an archive cut in pieces, encrypted blobs. The Go toolchain's
 * compiler alone is 19 MB; an honest image for these labs holds none of this.
 */
export const OPAQUE_DATA: PathRule = {
  kind: 'toolchain',
  what: 'data the grader cannot look into (compressed in a format it does not read, encoded, encrypted or cut in pieces)',
  globs: [],
  opaque: { minBytes: 10_000_000 },
};

/** For `stagecraft explain`: every toolchain the kit knows, whatever the lab. */
export const TOOLCHAINS: PathRule[] = [
  GO_TOOLCHAIN,
  GCC,
  { kind: 'toolchain', what: 'the JDK', globs: JDK_TOOLS.globs, formats: JDK_TOOLS.formats, debPackages: JDK_TOOLS.debPackages },
  // Debian's node is a small binary over libnode; upstream's is one static binary.
  {
    kind: 'toolchain',
    what: 'Node.js and npm',
    globs: ['**/bin/node', '**/bin/nodejs', 'usr/lib/*/libnode.so*', '**/include/node/**', '**/lib/node_modules/npm/**'],
  },
  PYTHON_HEADERS,
  { kind: 'toolchain', what: 'Rust', globs: ['**/bin/rustc', '**/bin/cargo', '**/.rustup/toolchains/**'] },
  { kind: 'toolchain', what: 'make and build-essential', globs: ['**/bin/make', 'usr/share/build-essential/**'] },
  OPAQUE_DATA,
];

// --- caches -----------------------------------------------------------------------

/** Package-manager caches: they help the next install on a build machine, never a running app. */
export const PACKAGE_CACHES: PathRule[] = [
  {
    kind: 'cache',
    what: "apt's package lists",
    globs: [
      'var/lib/apt/lists/*_Packages*',
      'var/lib/apt/lists/*_InRelease',
      'var/lib/apt/lists/*_Release*',
      'var/lib/apt/lists/*_Sources*',
      'var/lib/apt/lists/*Translation*',
    ],
  },
  { kind: 'cache', what: "apt's downloaded packages", globs: ['var/cache/apt/archives/*.deb', 'var/cache/apt/*.bin'] },
  { kind: 'cache', what: "npm's cache", globs: ['**/.npm/_cacache/**'] },
  { kind: 'cache', what: "yarn's cache", globs: ['usr/local/share/.cache/yarn/**', '**/.cache/yarn/**'] },
  { kind: 'cache', what: "pip's cache", globs: ['**/.cache/pip/**'] },
  { kind: 'cache', what: "Go's build cache", globs: ['**/.cache/go-build/**'] },
];

// --- secrets ----------------------------------------------------------------------

/** Where the system keeps public certificates and keys, and packages their own files: not secrets. */
const SYSTEM = ['etc/ssl/certs/**', 'usr/share/**', 'usr/lib/**', 'usr/local/lib/**', '**/node_modules/**'];

/** Files that hold credentials, and history that may: in any layer they can be read by anyone who pulls the image. */
export const SECRET_FILES: PathRule[] = [
  {
    kind: 'secret',
    what: 'an environment file',
    globs: ['**/.env', '**/.env.*'],
    except: ['**/.env.example', '**/.env.sample', '**/.env.template'],
    exceptInBase: SYSTEM,
  },
  {
    kind: 'secret',
    what: 'a private key',
    globs: ['**/id_rsa', '**/id_dsa', '**/id_ecdsa', '**/id_ed25519', '**/*.key', '**/*.p12', '**/*.pfx', '**/*private*.pem'],
    exceptInBase: SYSTEM,
  },
  {
    kind: 'secret',
    what: 'a credentials file',
    globs: ['**/.npmrc', '**/.pypirc', '**/.netrc', '**/.aws/credentials', '**/.docker/config.json', '**/.git-credentials'],
    exceptInBase: SYSTEM,
  },
  { kind: 'secret', what: "a Git repository's history", globs: ['**/.git/**'], exceptInBase: SYSTEM },
];
