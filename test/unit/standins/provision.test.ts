import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../../graders/images/catalogue.js';
import { STANDIN_RECIPES } from '../../../graders/kit/locations.js';
import { builtOnAnother, recipeBase } from '../../../graders/standins/provision.js';

describe('a stand-in built on another copy of its base', () => {
  it("is told by its layers: the base's must be the first of its own", () => {
    expect(builtOnAnother(['a', 'b', 'c'], ['a', 'b'])).toBe(false);
    expect(builtOnAnother(['a', 'x', 'c'], ['a', 'b'])).toBe(true); // the base was rebuilt here alone
    expect(builtOnAnother(['a'], ['a', 'b'])).toBe(true);
  });

  it("its base is the recipe's last FROM (a stage before it is not), none for scratch", () => {
    expect(recipeBase('FROM debian:trixie-slim AS packages\nRUN x\nFROM gcr.io/distroless/static-debian13\nCOPY --from=packages / /\n')).toBe(
      'gcr.io/distroless/static-debian13',
    );
    expect(recipeBase('FROM debian:trixie-slim AS packages\nFROM scratch\n')).toBeUndefined();
  });

  it("every recipe's base is one of the parents the catalogue names for it", async () => {
    for (const entry of CATALOGUE) {
      if (!entry.standIn || 'rootfs' in entry.standIn) continue;
      const base = recipeBase(await readFile(path.join(STANDIN_RECIPES, entry.standIn.recipe), 'utf8'));
      if (base) expect(entry.standIn.from, entry.ref).toContain(base);
    }
  });
});
