import { MAX_DOCKERFILE_BYTES } from '../lint/dockerfile.js';

/**
 * The limits of what travels between a student's kit and the room, the one place each
 * number is written. Apart from protocol.ts's shapes: a grade that posts its result loads
 * these, never the schema library (45–65 ms, timed alone).
 */

/** The whole body of any request (a shared Dockerfile is at most 100 kB: lint/dockerfile.ts). */
export const MAX_BODY_BYTES = 192 * 1024;
/** A shared Dockerfile: as large as the grader reads one. */
export { MAX_DOCKERFILE_BYTES };
/** One failing check's finding, as shown on the board. */
export const MAX_FINDING_CHARS = 300;
export const MAX_NAME_CHARS = 32;

/** A name on the projector: letters, digits, spaces and `.-_'`, no control or layout characters. */
export const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._'-]*$/u;
export const NAME_RULE = `1 to ${MAX_NAME_CHARS} letters, digits, spaces or . - _ ' (starting with a letter or digit)`;
