import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../../graders/kit/locations.js';

/** Where a student's Dockerfile for a lab comes from. */
export type Source =
  { from: 'starter' } | { from: 'solution' } | { from: 'fixture'; file: string } | { from: 'symlink'; target: string } | { from: 'text'; text: string };

export interface StudentSpec {
  labs: Record<string, Source | undefined>;
  /** Extra files written into the student's copy of the kit (edits the grader must ignore). */
  edits?: Record<string, string>;
}

/**
 * A class as GitHub Classroom's "download all repositories" lays it out: one folder per
 * student, each holding labs/<lab>/ with the student's Dockerfile (and .dockerignore).
 */
export async function makeClass(dir: string, students: Record<string, StudentSpec>): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const [name, spec] of Object.entries(students)) {
    const root = path.join(dir, name);
    await mkdir(root, { recursive: true });
    for (const [lab, source] of Object.entries(spec.labs)) {
      if (!source) continue;
      const labDir = path.join(root, 'labs', lab);
      await mkdir(labDir, { recursive: true });
      const target = path.join(labDir, 'Dockerfile');
      if (source.from === 'starter') await cp(path.join(REPO_ROOT, 'labs', lab, 'Dockerfile'), target);
      if (source.from === 'solution') {
        await cp(path.join(REPO_ROOT, 'solutions', lab, 'Dockerfile'), target);
        await cp(path.join(REPO_ROOT, 'solutions', lab, '.dockerignore'), path.join(labDir, '.dockerignore'));
      }
      if (source.from === 'fixture') await cp(path.join(REPO_ROOT, 'test', 'fixtures', lab, `${source.file}.Dockerfile`), target);
      if (source.from === 'symlink') await symlink(source.target, target);
      if (source.from === 'text') await writeFile(target, source.text);
    }
    for (const [file, content] of Object.entries(spec.edits ?? {})) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), content);
    }
  }
}
