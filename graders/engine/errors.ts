/**
 * "Could not grade": the run cannot produce a verdict (no engine, unknown lab,
 * missing file, bad arguments). The CLI prints `message` on one line and exits 2.
 * Anything the student's Dockerfile does wrong is a failed check instead.
 */
export class CannotGrade extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CannotGrade';
  }
}
