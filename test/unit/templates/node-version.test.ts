import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../graders/kit/locations.js';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; stagecraft: { testedNode: number[] } };
const templates = path.join(REPO_ROOT, 'templates', 'github');

describe('the CI templates run a Node the kit supports', () => {
  for (const file of readdirSync(templates).filter((f) => f.endsWith('.yml'))) {
    it(`${file} sets up a Node major the kit is tested on, the newest LTS`, () => {
      const versions = [...readFileSync(path.join(templates, file), 'utf8').matchAll(/node-version:\s*['"]?(\d+)/g)].map((m) => Number(m[1]));
      expect(versions.length).toBeGreaterThan(0);
      for (const v of versions) {
        expect(pkg.stagecraft.testedNode).toContain(v);
        expect(v).toBe(Math.max(...pkg.stagecraft.testedNode));
      }
    });
  }

  it("package.json's engines admit every tested Node major and this one", () => {
    for (const major of pkg.stagecraft.testedNode) expect(semver.intersects(`${major}.x`, pkg.engines.node), `Node ${major}`).toBe(true);
    expect(semver.satisfies(process.version, pkg.engines.node), `this Node, ${process.version}`).toBe(true);
  });
});
