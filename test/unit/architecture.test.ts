import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../graders/kit/locations.js';

const GRADERS = path.join(REPO_ROOT, 'graders');

/** README's "Layers" table: each room (`cli/`, `lab.ts`) → its floor. The one statement of the layers. */
export function readmeFloors(readme: string): Map<string, number> {
  const section = /^### Layers\n([\s\S]*?)^#/m.exec(readme)?.[1] ?? '';
  const floors = new Map<string, number>();
  for (const row of section.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)) {
    for (const room of row[2]!.matchAll(/`([\w.-]+)\/?`/g)) floors.set(room[1]!, Number(row[1]));
  }
  return floors;
}

/** The room a grader file belongs to: its first folder under graders/, or the file itself at the top. */
const roomOf = (file: string) => path.relative(GRADERS, file).split(path.sep)[0]!;

interface Import {
  from: string;
  to: string;
  line: number;
}

/** Every relative import, export-from and import() with a literal name in a file (types too: a type is a dependency). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.filter((i) => i.fileName.startsWith('.'))
    .map((i) => ({ from: file, to: path.resolve(path.dirname(file), i.fileName), line: source.getLineAndCharacterOfPosition(i.pos).line + 1 }));
}

const graderFiles = readdirSync(GRADERS, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && /\.(ts|mts)$/.test(e.name))
  .map((e) => path.join(e.parentPath, e.name));

/** What breaks the layers among these imports, one line each: `graders/a/b.ts:3 imports graders/c/d.ts (…)`. */
export function upwardImports(imports: Import[], floors: Map<string, number>): string[] {
  const wrong: string[] = [];
  for (const { from, to, line } of imports) {
    const where = `${path.relative(REPO_ROOT, from)}:${line} imports ${path.relative(REPO_ROOT, to)}`;
    if (!to.startsWith(GRADERS + path.sep)) {
      wrong.push(`${where}: outside graders/ (scripts/ and the rest are above every grader)`);
      continue;
    }
    const [a, b] = [roomOf(from), roomOf(to)];
    if (a === b) continue;
    const [fa, fb] = [floors.get(a), floors.get(b)];
    if (fa === undefined || fb === undefined) continue; // reported by the test that every room has a floor
    if (fb >= fa) wrong.push(`${where}: ${b} is on floor ${fb}, ${a} on floor ${fa}`);
  }
  return wrong;
}

describe("the graders' layers (README, Layout → Layers)", () => {
  const floors = readmeFloors(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));

  it('README states the layers', () => {
    expect(floors.size).toBeGreaterThan(10);
    expect(floors.get('cli')).toBe(Math.max(...floors.values()));
  });

  it('every room of graders/ has a floor, and every floor named is a room', () => {
    const rooms = new Set(graderFiles.map(roomOf));
    expect([...rooms].filter((r) => !floors.has(r)).sort(), 'rooms README does not place').toEqual([]);
    expect([...floors.keys()].filter((r) => !rooms.has(r)).sort(), 'rooms README places that are not there').toEqual([]);
  });

  it('no import runs up the layers or sideways, and none leaves graders/', () => {
    expect(
      upwardImports(
        graderFiles.flatMap((f) => importsOf(f)),
        floors,
      ),
    ).toEqual([]);
  });

  it('no grader reads a path in scripts/ (its data lives with the graders: graders/standins/recipes/)', () => {
    const named = graderFiles.filter((f) => /['"`]scripts['"`/]/.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
    expect(named.map((f) => path.relative(REPO_ROOT, f))).toEqual([]);
  });

  it('no grader outside graders/cli/ imports it (entry points in scripts/ and bin/ may, and tests)', () => {
    const wrong = graderFiles
      .filter((f) => roomOf(f) !== 'cli')
      .flatMap((f) => importsOf(f))
      .filter((i) => roomOf(i.to) === 'cli');
    expect(wrong.map((i) => `${path.relative(REPO_ROOT, i.from)}:${i.line}`)).toEqual([]);
  });

  it('the check can fail: an import from a lower room to a higher one, or to scripts/, is named', () => {
    const low = path.join(GRADERS, 'format', 'bytes.ts');
    const text =
      "import { grade } from '../pipeline/grade.js';\nimport type { X } from '../../scripts/slides/facts.js';\nimport { oneLine } from './text.js';\n";
    expect(upwardImports(importsOf(low, text), floors)).toEqual([
      `graders/format/bytes.ts:1 imports graders/pipeline/grade.js: pipeline is on floor ${floors.get('pipeline')}, format on floor 0`,
      'graders/format/bytes.ts:2 imports scripts/slides/facts.js: outside graders/ (scripts/ and the rest are above every grader)',
    ]);
  });
});

describe('the unit tests mirror the tree (README, Layout)', () => {
  const UNIT = path.join(REPO_ROOT, 'test', 'unit');
  /** Where a folder of test/unit/ points: a room of graders/, else a top-level folder (bin/, templates/) or test/helpers/. */
  const mirrored = (folder: string) =>
    [path.join(GRADERS, folder), path.join(REPO_ROOT, folder), path.join(REPO_ROOT, 'test', folder)].some((p) => existsSync(p) && statSync(p).isDirectory());

  it("every unit test sits in the folder of what it tests: a room of graders/ (or bin/, templates/, test/helpers/); only the tree's own test at the top", () => {
    const files = readdirSync(UNIT, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
      .map((e) => path.relative(UNIT, path.join(e.parentPath, e.name)));
    expect(
      files.filter((f) => !f.includes(path.sep)),
      'tests at the top of test/unit/',
    ).toEqual(['architecture.test.ts']);
    expect(files.filter((f) => f.includes(path.sep) && !mirrored(f.split(path.sep)[0]!)).sort(), 'folders that mirror nothing').toEqual([]);
  });
});
