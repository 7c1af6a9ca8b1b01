import { z } from 'zod';
import { MAX_DOCKERFILE_BYTES, MAX_FINDING_CHARS, MAX_NAME_CHARS, NAME_PATTERN } from './limits.js';

/**
 * What travels between a student's kit and the room: the shapes the server checks every
 * request body against (their limits: limits.ts). The kit shortens its own text to fit
 * before sending, so an honest result is never refused.
 */

export const JoinBody = z.strictObject({
  code: z.string().min(1).max(16),
  name: z.string().trim().min(1).max(MAX_NAME_CHARS).regex(NAME_PATTERN),
});
export type JoinBody = z.infer<typeof JoinBody>;

export const CheckState = z.enum(['passed', 'failed', 'skipped']);
export type CheckState = z.infer<typeof CheckState>;

export const PostedCheck = z.strictObject({
  id: z.string().min(1).max(40),
  state: CheckState,
  /** For a failed check: its one-line message (what was found, where). */
  finding: z.string().max(MAX_FINDING_CHARS).optional(),
});
export type PostedCheck = z.infer<typeof PostedCheck>;

/** One grade, as a student's kit posts it after `npm run grade labN`. */
export const ResultBody = z.strictObject({
  lab: z.string().min(1).max(64),
  passed: z.boolean(),
  score: z.number().int().min(0).max(100),
  maxScore: z.number().int().min(1).max(100),
  /** The final image's size in bytes; null when nothing was built. */
  imageSize: z.number().int().min(0).max(1e13).nullable(),
  checks: z.array(PostedCheck).min(1).max(20),
  kit: z.string().max(40),
  engine: z.string().max(80),
  /** Only with `--share-dockerfile`. */
  dockerfile: z.string().max(MAX_DOCKERFILE_BYTES).optional(),
});
export type ResultBody = z.infer<typeof ResultBody>;

export const VerifyBody = z.strictObject({
  student: z.string().min(1).max(MAX_NAME_CHARS),
  lab: z.string().min(1).max(64),
});

/** A zod failure in one line a person can act on: the first problem and where. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'the body';
  return `${where}: ${issue.message}`;
}
