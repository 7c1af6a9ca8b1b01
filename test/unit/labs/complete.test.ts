import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../graders/kit/locations.js';
import { cacheFriendly, runs } from '../../../graders/checks/index.js';
import { allLabs, defineLab, labDir, solutionDir, type LabDefinition } from '../../../graders/lab.js';
import { newStampFunction, withStampFunction } from '../../../graders/run/stamp.js';

const labs = await allLabs();
const read = (...parts: string[]) => readFileSync(path.join(REPO_ROOT, ...parts), 'utf8');
const number = (lab: LabDefinition) => lab.id.split('-')[0]!.replace('lab', '');

/**
 * Every place a lab lives, as README's "Adding a lab" lists them: a seventh lab that misses
 * one is named here with the place, before a student or a presenter finds it missing.
 */
const PLACES: [string, (lab: LabDefinition) => string | undefined][] = [
  [
    'labs/<lab>/: the app, its starter Dockerfile, its README, the stamp file, the stamp function and the file a rebuild edits',
    (lab) => {
      const missing = ['Dockerfile', 'README.md', lab.app.stampFile, lab.app.stampCode.file, ...(lab.app.edit ? [lab.app.edit] : [])].filter(
        (f) => !existsSync(path.join(labDir(lab), f)),
      );
      if (missing.length) return missing.join(', ');
      const source = readFileSync(path.join(labDir(lab), lab.app.stampCode.file), 'utf8');
      return withStampFunction(source, newStampFunction(), lab.app.stampCode.language)
        ? undefined
        : `${lab.app.stampCode.file} has no stamp function between its markers`;
    },
  ],
  ['solutions/<lab>/Dockerfile: the reference solution', (lab) => (existsSync(path.join(solutionDir(lab), 'Dockerfile')) ? undefined : 'missing')],
  [
    'slides/chapters/lab<N>.md: its chapter, with labTime, included by a module deck',
    (lab) => {
      const chapter = `lab${number(lab)}.md`;
      if (!existsSync(path.join(REPO_ROOT, 'slides', 'chapters', chapter))) return 'no chapter';
      if (!/^labTime: \d+$/m.test(read('slides', 'chapters', chapter))) return 'no labTime in its front matter';
      const decks = readdirSync(path.join(REPO_ROOT, 'slides')).filter((f) => /^\d\d-.*\.md$/.test(f));
      return decks.some((d) => read('slides', d).includes(`src: ./chapters/${chapter}`)) ? undefined : 'no module deck includes it';
    },
  ],
  [
    'labs/README.md: its row in the table of labs',
    (lab) => (read('labs', 'README.md').includes(`[\`${lab.id}\`](${lab.id}/README.md)`) ? undefined : 'no row'),
  ],
  [
    'test/integration/<lab>.test.ts: its solution, starter and known-bad Dockerfiles graded',
    (lab) => (existsSync(path.join(REPO_ROOT, 'test', 'integration', `${lab.id}.test.ts`)) ? undefined : 'missing'),
  ],
  [
    "templates/github/student-grade.yml: the student's CI grades it",
    (lab) => (new RegExp(`^\\s*LABS:.*\\blab${number(lab)}\\b`, 'm').test(read('templates', 'github', 'student-grade.yml')) ? undefined : 'not in LABS'),
  ],
];

describe('every lab is in every place a lab lives (README, Adding a lab)', () => {
  it.each(labs.map((l) => [l.id, l] as const))('%s', (_id, lab) => {
    const missing = PLACES.flatMap(([place, problem]) => {
      const p = problem(lab);
      return p ? [`${place}: ${p}`] : [];
    });
    expect(missing).toEqual([]);
  });

  it("README's 'Adding a lab' names each of these places", () => {
    const section = /^### Adding a lab\n([\s\S]*?)^#/m.exec(read('README.md'))?.[1] ?? '';
    for (const [place] of PLACES) expect(section, place).toContain(`\`${place.split(':')[0]!}\``);
  });

  it('the check can fail: a lab without a chapter, a solution or a row is named', () => {
    const ghost = { ...labs[0]!, id: 'lab9-ghost' };
    const found = PLACES.map(([, problem]) => problem(ghost));
    expect(found.filter(Boolean).length).toBe(PLACES.length);
  });
});

describe('defineLab', () => {
  it("fills in the app's defaults, and refuses a check that rebuilds after an edit when the app names no file to edit", () => {
    const lab = { id: 'lab9-ghost', title: 'ghost', app: { probes: [], stampCode: { file: 'main.go', language: 'go' as const } } };
    expect(defineLab({ ...lab, checks: [runs()] }).app).toMatchObject({ port: 8080, readyPath: '/healthz', stampPath: '/stamp', stampFile: 'stamp.txt' });
    expect(() => defineLab({ ...lab, checks: [cacheFriendly({ installs: ['node'] })] })).toThrow(/lab9-ghost: .*must name it \(app\.edit\)/);
    expect(defineLab({ ...lab, app: { ...lab.app, edit: 'src/app.ts' }, checks: [cacheFriendly({ installs: ['node'] })] }).app.edit).toBe('src/app.ts');
  });
});
