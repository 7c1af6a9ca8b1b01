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
};
