import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { scanLayer, type LayerContent } from '../../../graders/inspect/layers.js';
import { markDeleted, scanSavedImage } from '../../../graders/inspect/saved-image.js';
import { attributeLayers, historyKeyword } from '../../../graders/inspect/attribution.js';
import { describeFinding, findFiles, shortPath, type PathRule } from '../../../graders/findings/index.js';
import { image as facts, layer as layerOf } from '../../helpers/evidence.js';
import { parseDockerfile, type ParsedDockerfile } from '../../../graders/lint/dockerfile.js';
import { makeSavedImage, makeTar, streamOf } from '../../helpers/tar.js';

describe('scanLayer', () => {
  it('lists files with their sizes, normalising ./ prefixes, and ignores directories in the byte count', async () => {
    const tar = await makeTar([
      { name: './usr/', type: 'directory' },
      { name: './usr/bin/gcc', size: 1200 },
      { name: 'usr/bin/cc', type: 'symlink', linkname: 'gcc' },
      { name: 'app/main.go', content: 'package main\n' },
    ]);
    const layer = await scanLayer(streamOf(tar), 2);
    expect(layer.files.map((f) => [f.path, f.type, f.size, f.layer])).toEqual([
      ['usr', 'directory', 0, 2],
      ['usr/bin/gcc', 'file', 1200, 2],
      ['usr/bin/cc', 'symlink', 0, 2],
      ['app/main.go', 'file', 13, 2],
    ]);
    expect(layer.bytes).toBe(1213);
  });

  it('reads gzip-compressed layers too', async () => {
    const tar = await makeTar([{ name: 'a', size: 10 }]);
    expect((await scanLayer(streamOf(gzipSync(tar)), 0)).bytes).toBe(10);
  });

  it('records whiteouts and opaque directories instead of listing them as files', async () => {
    const tar = await makeTar([
      { name: 'usr/local/.wh.go', content: '' },
      { name: 'root/.cache/.wh..wh..opq', content: '' },
    ]);
    const layer = await scanLayer(streamOf(tar), 1);
    expect(layer.files).toEqual([]);
    expect(layer.whiteouts).toEqual([
      { path: 'usr/local/go', opaque: false },
      { path: 'root/.cache', opaque: true },
    ]);
  });
});

describe('markDeleted', () => {
  const layer = (files: [string, number][], whiteouts: LayerContent['whiteouts'] = []): LayerContent => ({
    files: files.map(([path, size]) => ({ path, size, type: 'file', layer: 0 })),
    members: [],
    whiteouts,
    bytes: files.reduce((n, [, s]) => n + s, 0),
  });

  it('marks files a later whiteout deletes, and everything below a deleted directory, but not look-alike siblings', () => {
    const base = layer([
      ['usr/local/go/bin/go', 100],
      ['usr/local/go', 0],
      ['usr/local/gopher', 5],
      ['usr/local/go-extra/x', 5],
      ['usr/local/go0', 5],
    ]);
    const rm = layer([], [{ path: 'usr/local/go', opaque: false }]);
    markDeleted([base, rm]);
    const deleted = base.files.filter((f) => f.deletedIn !== undefined).map((f) => f.path);
    expect(deleted.sort()).toEqual(['usr/local/go', 'usr/local/go/bin/go']);
    expect(base.files.find((f) => f.path === 'usr/local/go/bin/go')!.deletedIn).toBe(1);
  });

  it('an opaque directory hides all earlier contents but not the directory itself', () => {
    const base = layer([
      ['root/.cache', 0],
      ['root/.cache/pip/a.whl', 50],
      ['root/.cachex', 1],
    ]);
    markDeleted([base, layer([], [{ path: 'root/.cache', opaque: true }])]);
    expect(base.files.filter((f) => f.deletedIn !== undefined).map((f) => f.path)).toEqual(['root/.cache/pip/a.whl']);
  });

  it('keeps the first layer that deleted a file', () => {
    const base = layer([['a/b', 1]]);
    markDeleted([base, layer([], [{ path: 'a', opaque: false }]), layer([], [{ path: 'a/b', opaque: false }])]);
    expect(base.files[0]!.deletedIn).toBe(1);
  });
});

describe('scanSavedImage', () => {
  const image = {
    layers: [
      [
        { name: 'usr/local/go/bin/go', size: 5000 },
        { name: 'etc/os-release', content: 'ID=debian\n' },
      ],
      [{ name: 'src/main.go', content: 'package main\n' }],
      [{ name: 'usr/local/.wh.go', content: '' }],
    ],
    history: [
      { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
      { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
      { created_by: 'COPY . /src # buildkit' },
      { created_by: 'RUN /bin/sh -c rm -rf /usr/local/go # buildkit' },
    ],
  };

  it.each(['classic', 'oci'] as const)('reads the %s layout: layers in manifest order, deletions marked', async (layout) => {
    const saved = await scanSavedImage(streamOf(await makeSavedImage({ ...image, layout, gzipLayers: layout === 'oci' })));
    expect(saved.layers.map((l) => l.bytes)).toEqual([5010, 13, 0]);
    expect(saved.config.history).toHaveLength(4);
    const go = saved.layers[0]!.files.find((f) => f.path === 'usr/local/go/bin/go')!;
    expect(go).toMatchObject({ layer: 0, deletedIn: 2 });
    expect(saved.layers[1]!.files[0]).toMatchObject({ path: 'src/main.go', layer: 1 });
  });

  it('reads a layer stored once and linked from its second position (classic layout)', async () => {
    const empty = await makeTar([]);
    const base = await makeTar([{ name: 'etc/os-release', content: 'ID=debian\n' }]);
    const archive = await makeTar([
      { name: 'a/layer.tar', content: empty },
      { name: 'b/layer.tar', content: base },
      { name: 'c/layer.tar', type: 'symlink', linkname: '../a/layer.tar' },
      { name: 'config.json', content: JSON.stringify({ config: {}, history: [] }) },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'config.json', Layers: ['a/layer.tar', 'b/layer.tar', 'c/layer.tar'] }]) },
    ]);
    const saved = await scanSavedImage(streamOf(archive));
    expect(saved.layers.map((l) => l.files.length)).toEqual([0, 1, 0]);
  });

  it('fails clearly on an archive without a manifest', async () => {
    await expect(scanSavedImage(streamOf(await makeTar([{ name: 'x', content: '1' }])))).rejects.toThrow(/no manifest.json/);
  });
});

describe('history attribution', () => {
  function df(text: string): ParsedDockerfile {
    const r = parseDockerfile(text);
    if (!r.ok) throw new Error(r.problem.message);
    return r.dockerfile;
  }

  it.each([
    ['RUN /bin/sh -c go build . # buildkit', 'RUN'],
    ['|1 VERSION=1 /bin/sh -c make', 'RUN'],
    ['/bin/sh -c go build .', 'RUN'],
    ['/bin/sh -c #(nop) COPY dir:123 in /src ', 'COPY'],
    ['/bin/sh -c #(nop)  CMD ["bash"]', 'CMD'],
    ['COPY /out/app /app # buildkit', 'COPY'],
    ['WORKDIR /src', 'WORKDIR'],
    ['EXPOSE map[8080/tcp:{}]', 'EXPOSE'],
  ])('reads the keyword of %j as %s', (createdBy, keyword) => {
    expect(historyKeyword(createdBy)).toBe(keyword);
  });

  it('maps layers to the final stage instructions from the end, the rest to the base image', () => {
    const dockerfile = df(`FROM golang:1.24-trixie AS build
RUN go build -o /out/app .
FROM debian:trixie-slim
ARG UNUSED=1
WORKDIR /app
COPY --from=build /out/app /app/app
RUN rm -rf /var/lib/apt/lists
CMD ["/app/app"]
`);
    const history = [
      { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
      { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
      { created_by: 'WORKDIR /app # buildkit' },
      { created_by: 'COPY /out/app /app/app # buildkit' },
      { created_by: 'RUN /bin/sh -c rm -rf /var/lib/apt/lists # buildkit' },
      { created_by: 'CMD ["/app/app"]', empty_layer: true },
    ];
    const origins = attributeLayers({ history }, 4, dockerfile);
    expect(origins.map((o) => [o.layer, o.instruction?.line, o.baseImage])).toEqual([
      [0, undefined, 'debian:trixie-slim'],
      [1, 5, undefined],
      [2, 6, undefined],
      [3, 7, undefined],
    ]);
    expect(origins[0]!.from!.line).toBe(3);
  });

  it('follows FROM <stage>: layers made by the parent stage belong to its instructions', () => {
    const dockerfile = df('FROM debian:trixie-slim AS base\nRUN apt-get update\nFROM base\nCOPY app /app\n');
    const history = [{ created_by: 'ADD rootfs' }, { created_by: 'RUN /bin/sh -c apt-get update # buildkit' }, { created_by: 'COPY app /app # buildkit' }];
    expect(attributeLayers({ history }, 3, dockerfile).map((o) => o.instruction?.line)).toEqual([undefined, 2, 4]);
  });

  it('gives every layer an origin even without history', () => {
    expect(attributeLayers({}, 2).map((o) => o.layer)).toEqual([0, 1]);
  });
});

describe('findFiles', () => {
  const layers = [layerOf(0, 10), layerOf(1, 1200, 4, 'RUN'), layerOf(2, 110, 5, 'COPY')];
  it('groups matches per rule and layer, names the largest file, counts deleted files', () => {
    const files = [
      { path: 'usr/local/go/bin/go', size: 300, type: 'file' as const, layer: 1, deletedIn: 3 },
      { path: 'usr/local/go/pkg/tool/linux_amd64/compile', size: 900, type: 'file' as const, layer: 1, deletedIn: 3 },
      { path: 'usr/bin/gcc-14', size: 100, type: 'file' as const, layer: 2 },
      { path: 'src/main.go', size: 10, type: 'file' as const, layer: 2 },
      { path: 'etc/passwd', size: 10, type: 'file' as const, layer: 0 },
      { path: 'usr/local/go', size: 0, type: 'directory' as const, layer: 1 },
    ];
    const rules: PathRule[] = [
      { kind: 'toolchain', what: 'the Go toolchain', globs: ['usr/local/go/**'] },
      { kind: 'toolchain', what: 'gcc', globs: ['**/bin/gcc-[0-9]*'] },
      { kind: 'toolchain', what: 'Go sources', globs: ['**/*.go', 'usr/local/go/**'] },
    ];
    const found = findFiles(facts({ layers }, files), rules).map(({ what, layer, files: n, bytes, example, exampleBytes, deletedIn, folder, line }) => ({
      what,
      layer,
      files: n,
      bytes,
      example,
      exampleBytes,
      deletedIn,
      folder,
      line,
    }));
    expect(found).toEqual([
      {
        what: 'the Go toolchain',
        layer: 1,
        files: 2,
        bytes: 1200,
        example: 'usr/local/go/pkg/tool/linux_amd64/compile',
        exampleBytes: 900,
        deletedIn: 3,
        folder: 'usr/local/go',
        line: 4,
      },
      { what: 'gcc', layer: 2, files: 1, bytes: 100, example: 'usr/bin/gcc-14', exampleBytes: 100, deletedIn: undefined, folder: 'usr/bin', line: 5 },
      { what: 'Go sources', layer: 2, files: 1, bytes: 10, example: 'src/main.go', exampleBytes: 10, deletedIn: undefined, folder: 'src', line: 5 },
    ]);
  });

  it('passes over paths a rule excepts wherever they are, and over exceptInBase paths only in base-image layers', () => {
    const files = ['app/src/server.ts', 'app/node_modules/zod/src/index.ts', 'usr/share/doc/x/a.ts'].flatMap((path) =>
      [0, 1].map((layer) => ({ path, size: 1, type: 'file' as const, layer })),
    );
    const rule: PathRule = {
      kind: 'toolchain',
      what: 'TypeScript sources',
      globs: ['**/*.ts'],
      except: ['**/node_modules/**'],
      exceptInBase: ['usr/share/**'],
    };
    const found = findFiles(facts({ layers: layers.slice(0, 2) }, files), [rule]);
    expect(found.map((f) => [f.layer, f.files]).sort()).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});

describe('describing findings', () => {
  const layers = [
    { layer: 0, createdBy: 'RUN npm install', bytes: 1, fileCount: 1, whiteouts: 0, instruction: { keyword: 'RUN', args: 'npm install', line: 7, flags: {} } },
  ];
  const base = { kind: 'cache' as const, what: "npm's cache", layer: 0, exampleBytes: 10_500_000, fromBase: false };

  it('names one file by its path and size', () => {
    const f = { ...base, files: 1, bytes: 10_500_000, example: 'root/.npm/x', folder: 'root/.npm' };
    expect(describeFinding(f, layers)).toBe("npm's cache: /root/.npm/x (10.5 MB), layer 1 of 1, added by `RUN npm install` (Dockerfile line 7)");
  });

  it('names the folder that holds many files, and shortens a long largest path', () => {
    const example = `root/.npm/_cacache/content-v2/sha512/94/43/${'a'.repeat(120)}`;
    const f = { ...base, files: 660, bytes: 58_100_000, example, folder: 'root/.npm/_cacache/content-v2/sha512' };
    const text = describeFinding(f, layers);
    expect(text).toMatch(
      /^npm's cache: 660 files, 58.1 MB in all, in \/root\/.npm\/_cacache\/content-v2\/sha512\/ \(the largest \/root\/.npm\/.*…\/a{18}…a{18} \(10.5 MB\)\), layer 1 of 1/,
    );
    expect(shortPath(example).length).toBeLessThanOrEqual(72);
  });

  it("shortens a long file name in its middle, never into a folder that does not exist (apt's lists)", () => {
    const shown = shortPath('var/lib/apt/lists/deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages.lz4');
    expect(shown).toBe('var/lib/apt/lists/deb.debian.org_debian_dists…_binary-amd64_Packages.lz4');
    expect(shown.length).toBeLessThanOrEqual(72);
  });
});
