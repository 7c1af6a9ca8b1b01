/**
 * Builds that fail for the engine's reasons, not the Dockerfile's: the grade is "could not grade"
 * with the engine's own words and what to do, never a failed `builds` (an engine's fault is never a
 * student's failure). Kept to failures no Dockerfile can cause.
 */

/** What the grader needs of a failed build to tell whose fault it was. */
export interface FailedBuild {
  error?: string;
  failedStep?: { name: string; error: string };
}

interface Fault {
  /** Recognised by the failed step's name and the engine's error text. */
  matches: (step: string, error: string) => boolean;
  /** What happened and what to do, in one line. */
  what: string;
}

const FAULTS: Fault[] = [
  {
    // Docker 28 serves a context sent with the build request once; BuildKit reads it twice (for its
    // cache key, then its files) and asks again if its copy went in between: the build cache cleared
    // during the build (another program's prune, or another grader's on the same engine).
    matches: (step, error) => step.startsWith('[internal] load remote build context') && /build-context-\S+.*context not found/i.test(error),
    what: 'the engine lost the build context the grader sent it before it had read it (its build cache was cleared during the build, perhaps by another program using this engine): grade again',
  },
  {
    // moby/moby#47717: the containerd image store of Docker 26 and 27 loses a context sent with the
    // build request; 28 reads it (moby/moby#49178).
    matches: (step, error) =>
      /failed to read downloaded context|build-context-\S+.*no such host/i.test(error) ||
      (step.startsWith('[internal] load remote build context') && error !== ''),
    what: 'this engine could not read the build context the grader sent it (Docker 26 and 27 with the containerd image store cannot): update Docker to 28 or newer, or turn the containerd image store off (Docker Desktop: Settings → General → "Use containerd for pulling and storing images")',
  },
  {
    matches: (step, error) => step.startsWith('[internal]') && /no space left on device/i.test(error),
    what: "the engine's disk is full: free some space (docker system prune) and grade again",
  },
];

/** The engine's fault behind a failed build, in one line with its own words; undefined when it is the Dockerfile's. */
export function engineFault(build: FailedBuild): string | undefined {
  const step = build.failedStep?.name ?? '';
  const error = build.failedStep?.error || build.error || '';
  const fault = FAULTS.find((f) => f.matches(step, error));
  if (!fault) return undefined;
  const words = error.split('\n')[0]!.slice(0, 300);
  return `${fault.what} (the engine said: ${words})`;
}
