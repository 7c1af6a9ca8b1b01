import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { noToolchain } from '../../../graders/checks/no-toolchain.js';
import { advise } from '../../../graders/explain/advice.js';
import { C_SOURCES, emptyKnown, findFiles, GCC, GO_TOOLCHAIN, PYTHON_HEADERS, TOOLCHAINS } from '../../../graders/findings/index.js';
import { BANNERS, ContentProbe } from '../../../graders/inspect/content.js';
import { scanLayer } from '../../../graders/inspect/layers.js';
import { makeElf } from '../../helpers/archives.js';
import { evidence, image, layer } from '../../helpers/evidence.js';
import { makeTar } from '../../helpers/tar.js';

/**
 * gcc's programs known by what they carry (content.ts's BANNERS), not by their name, size,
 * build ID or Debian's package note, all of which a student can change: a renamed cc1 with
 * its notes removed and a byte appended is still gcc.
 */

/** Random bytes: the banner's 11 bytes in a row never come up in them by chance. */
const noise = (n: number) => randomBytes(n);

/** An ELF with no notes at all (build ID and package note removed), `text` at `at` in its body. */
function strippedElf(bodyBytes: number, text: string, at: number): Buffer {
  const body = noise(bodyBytes);
  body.write(text, at, 'latin1');
  return Buffer.concat([makeElf([]), body, Buffer.from([0])]);
}

const feed = (bytes: Buffer, cuts: number[]) => {
  const probe = new ContentProbe(bytes.length);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    probe.push(bytes.subarray(from, cut));
    from = cut;
  }
  return probe.finish();
};

describe("gcc's programs by the strings they carry", () => {
  const banner = BANNERS.find((b) => b.proves === 'gcc')!.bytes;

  it('finds the banner at every cut through it, in chunks of any size (the first a byte long), and says nothing else', () => {
    const elf = strippedElf(200_000, 'COLLECT_GCC_OPTIONS', 150_000);
    const start = elf.indexOf(banner);
    expect(start).toBeGreaterThan(65_536); // past the head the probe keeps: found in the stream
    for (let cut = start; cut <= start + banner.length; cut++) {
      expect(feed(elf, [cut]), `cut at ${cut - start}`).toEqual({ compiled: true, banner: 'gcc' });
      // Small chunks around the cut: the carry spans several of them.
      expect(feed(elf, [cut - 3, cut, cut + 2, cut + 5]).banner).toBe('gcc');
    }
    for (const size of [7, 4096, 65_536]) {
      const cuts = Array.from({ length: Math.ceil(elf.length / size) - 1 }, (_, i) => (i + 1) * size);
      expect(feed(elf, cuts).banner).toBe('gcc');
    }
    // A stream may cut a file's first bytes short of the ELF magic: it is still an ELF, banner and all.
    expect(feed(elf, [1, 2, 3, 5, 9])).toEqual({ compiled: true, banner: 'gcc' });
  });

  it('a program without it is no gcc: near misses, a Python-like ELF; text that names it is no program', () => {
    for (const text of ['COLLECT_GC', 'COLLECT_NO_DEMANGLE', 'collect_gcc', 'COLLECT_G\0CC']) {
      expect(feed(strippedElf(100_000, text, 70_000), [70_005]).banner).toBeUndefined();
    }
    const python = makeElf([{ name: 'GNU', type: 3, desc: randomBytes(20) }], Buffer.concat([noise(80_000), Buffer.from('Py_Initialize\0PYTHONPATH\0')]));
    expect(feed(python, [40_000])).toEqual({ compiled: true, buildId: expect.stringMatching(/^gnu:/) });
    // gcc's manual page or a build script may say the word; only a compiled program is gcc by it.
    expect(feed(Buffer.from(`#!/bin/sh\nexport COLLECT_GCC=gcc\n${'x'.repeat(70_000)}`), []).banner).toBeUndefined();
  });

  it('in a layer: a renamed, stripped, padded cc1 and driver fail no-toolchain, named by path and told why; a non-gcc program beside them does not', async () => {
    const cc1 = strippedElf(300_000, 'COLLECT_GCC_OPTIONS', 250_000);
    const driver = strippedElf(120_000, 'COLLECT_GCC\0COLLECT_GCC_OPTIONS', 100_000);
    const helper = makeElf([], noise(90_000));
    const tar = await makeTar([
      { name: 'usr/local/lib/pytools/pyindex', content: cc1 },
      { name: 'usr/local/lib/pytools/pyfmt', content: driver },
      { name: 'usr/local/bin/helper', content: helper },
    ]);
    // The layer arrives in 4 kB pieces, one of them cut 4 bytes into cc1's banner (the tar
    // passes its pieces on as they come: the probe sees the banner in two chunks).
    const cut = 512 + cc1.indexOf(banner) + 4;
    const stream = Readable.from([...chunks(tar.subarray(0, cut), 4096), ...chunks(tar.subarray(cut), 4096)]);
    const scanned = await scanLayer(stream, 1, { archives: true });
    expect(scanned.files.map((f) => [f.path, f.banner, f.buildId, f.debPackage])).toEqual([
      ['usr/local/lib/pytools/pyindex', 'gcc', undefined, undefined],
      ['usr/local/lib/pytools/pyfmt', 'gcc', undefined, undefined],
      ['usr/local/bin/helper', undefined, undefined, undefined],
    ]);
    const layers = [layer(0, 100), layer(1, 420_000, 14)];
    const check = noToolchain({ forbidden: [GCC, PYTHON_HEADERS, C_SOURCES], toolchainImages: ['python:3.13-trixie'] });
    const v = check.evaluate(evidence({ image: image({ layers }, scanned.files), known: emptyKnown() }));
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'found gcc: 2 files, 420 kB in all, in /usr/local/lib/pytools/ (the largest /usr/local/lib/pytools/pyindex (300 kB)), ' +
        'recognised as part of gcc by what is inside them, not by their names, layer 2 of 2, added by `COPY --from=build /out/app /app` (Dockerfile line 14)',
    );
    expect(v.hint ?? check.hint).toMatch(/^Compile in a build stage and copy only the result into the final stage\. .*renaming them/);
    // explain says what to change: the copy out of the build stage, not the build.
    const [finding] = findFiles(image({ layers }, scanned.files), [GCC]);
    expect(advise(finding!, layers).todo).toBe(
      'Line 14 (`COPY --from=build /out/app /app`) copies it out of `build` into the final image: gcc belongs in `build` only, whatever it is called. ' +
        'Remove that copy, or narrow it to what the app needs at run time (what the build made: the program, a compiled module, built files).',
    );
    // Without the banner rule the same files are nothing: the test can fail.
    expect(findFiles(image({ layers }, scanned.files), [{ ...GCC, banners: undefined }])).toEqual([]);
  });

  it("a renamed program beside one found by its path: one line for both, which does not say 'not by their names'", () => {
    const layers = [layer(0, 100), layer(1, 100, 9)];
    const at = (path: string, facts = {}) => ({ path, size: 1_000_000, type: 'file' as const, layer: 1, compiled: true, ...facts });
    const [mixed] = findFiles(image({ layers }, [at('usr/bin/gcc-14'), at('opt/x/one', { banner: 'gcc' })]), [GCC]);
    expect(mixed).toMatchObject({ what: 'gcc', files: 2 });
    expect(mixed!.byContent).toBeUndefined();
    const [alone] = findFiles(image({ layers }, [at('opt/x/one', { banner: 'gcc' })]), TOOLCHAINS);
    expect(alone).toMatchObject({ what: 'gcc', byContent: true, example: 'opt/x/one' });
    // A rule without gcc's banner is not told by it: the Go toolchain is not gcc.
    expect(findFiles(image({ layers }, [at('opt/x/one', { banner: 'gcc' })]), [GO_TOOLCHAIN])).toEqual([]);
  });
});

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}
