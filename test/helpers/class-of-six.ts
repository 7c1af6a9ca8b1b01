import type { StudentSpec } from './classroom.js';

/**
 * Six students, two labs: solutions, starters, known-bad Dockerfiles, a missing
 * submission, one that does not parse, a symlink to a host file, and an edit to the app's
 * sources that the grader must ignore (it uses the instructor's sources).
 */
export const CLASS_OF_SIX: Record<string, StudentSpec> = {
  alice: { labs: { 'lab1-go': { from: 'solution' }, 'lab4-java': { from: 'solution' } } },
  bob: { labs: { 'lab1-go': { from: 'starter' }, 'lab4-java': { from: 'starter' } } },
  carol: { labs: { 'lab1-go': { from: 'fixture', file: 'cgo-in-scratch' } } },
  dave: { labs: { 'lab1-go': { from: 'fixture', file: 'does-not-parse' }, 'lab4-java': { from: 'fixture', file: 'no-main-class' } } },
  erin: { labs: { 'lab1-go': { from: 'symlink', target: '/etc/passwd' }, 'lab4-java': { from: 'fixture', file: 'jlink-runtime' } } },
  frank: { labs: { 'lab1-go': { from: 'solution' } }, edits: { 'labs/lab1-go/main.go': 'package main // a broken edit the grader never sees\n' } },
};
