import { readFileSync } from 'node:fs';
import type { ForbiddenPaths } from './no-toolchain.js';

/**
 * Path sets that labs forbid in final images. Globs cover both upstream layouts
 * (/usr/local/go, /usr/local/bin/python3) and Debian's (stand-ins: /usr/lib/go-1.24).
 */
export const GO_TOOLCHAIN: ForbiddenPaths = {
  what: 'the Go toolchain',
  globs: ['usr/local/go/**', 'usr/lib/go-*/**', 'usr/share/go-*/**', '**/bin/go', '**/bin/gofmt', '**/pkg/tool/*/compile', '**/pkg/tool/*/link'],
};

export const GCC: ForbiddenPaths = {
  what: 'gcc',
  globs: ['**/bin/gcc', '**/bin/gcc-[0-9]*', '**/bin/*-linux-gnu-gcc*', '**/bin/cc', '**/bin/c++', '**/bin/g++*', '**/gcc/**/cc1', '**/gcc/**/cc1plus'],
};

export const GO_SOURCES: ForbiddenPaths = {
  what: 'Go sources',
  globs: ['**/*.go', '**/go.mod', '**/go.sum'],
  // Example code in system packages' docs (git's contrib/) is not the app's.
  except: ['usr/share/**'],
};

/** npm's own bundled packages live in node_modules folders too; they are not the app's. */
const NPM_ITSELF = ['usr/local/lib/node_modules/npm/**', 'usr/lib/node_modules/npm/**', 'usr/share/nodejs/**', 'opt/yarn-*/**'];

/**
 * Every package a lockfile marks as needed only in development (`"dev": true`): the
 * devDependencies and everything only they pull in, wherever a node_modules holds them.
 */
export function npmDevDependencies(lockfile: string): ForbiddenPaths {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { dev?: boolean }> };
  const names = new Set<string>();
  for (const [key, meta] of Object.entries(lock.packages ?? {})) {
    if (meta.dev && key.includes('node_modules/')) names.add(key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  return {
    what: 'dev dependencies',
    globs: [...names].sort().map((name) => `**/node_modules/${name}/**`),
    except: NPM_ITSELF,
  };
}

export const TYPESCRIPT_SOURCES: ForbiddenPaths = {
  what: 'TypeScript sources and config',
  globs: ['**/*.ts', '**/*.mts', '**/*.cts', '**/tsconfig*.json'],
  except: ['**/node_modules/**', ...NPM_ITSELF],
};

export const PYTHON_HEADERS: ForbiddenPaths = {
  what: "Python's C headers",
  globs: ['usr/include/python3*/**', 'usr/local/include/python3*/**'],
};

export const C_SOURCES: ForbiddenPaths = {
  what: 'C sources',
  globs: ['**/*.c'],
  // System packages ship a few .c files of their own (X11 headers, docs); the app's are what count.
  except: ['usr/include/**', 'usr/share/**', 'usr/lib/**', 'usr/local/lib/**'],
};

/** What only a JDK has: the compiler, the jar and jlink tools, and the jmods jlink links from. */
export const JDK_TOOLS: ForbiddenPaths = {
  what: 'the JDK (javac, jar, jlink, jmods)',
  globs: ['**/bin/javac', '**/bin/jar', '**/bin/jlink', '**/bin/jdeps', '**/jmods/*.jmod', '**/lib/ct.sym'],
};

export const JAVA_SOURCES: ForbiddenPaths = {
  what: 'Java sources and compiled classes outside a jar',
  globs: ['**/*.java', '**/*.class'],
  // A JDK's own src.zip and demo folders are the JDK_TOOLS finding's business.
  except: ['usr/lib/jvm/**', 'opt/java/**', 'usr/share/**'],
};

/** Node.js itself, npm, and any node_modules: a bundled front end needs none of them. */
export const NODE_TOOLCHAIN: ForbiddenPaths = {
  what: 'Node.js, npm or node_modules',
  globs: ['**/bin/node', '**/bin/nodejs', '**/bin/npm', '**/node_modules/**'],
};

/** A front end's sources and build files: the bundle replaces them. */
export const FRONTEND_SOURCES: ForbiddenPaths = {
  what: 'front-end sources and build files',
  globs: ['**/package.json', '**/package-lock.json', '**/build.mjs', '**/src/*.js', '**/src/*.css', '**/index.html'],
  // The built page is dist/index.html, served from wherever it was copied; system files are not the app's.
  except: ['usr/**', 'etc/**', '**/dist/**', 'srv/www/**', '**/www/**', '**/public/**', '**/static/**'],
};
