import type { RunLimits } from './limits.js';
import { health, stamp, type ProbeFactory } from './probes.js';
import type { StampCode } from './stamp.js';

/**
 * A lab's app as the grader runs it, declared once and apart from the checks that judge it:
 * where it listens and answers, where its build keeps the stamp, what proves it works, and
 * which source a rebuild edits. The pipeline runs it; checks read it from the evidence.
 */
export interface LabApp {
  /** The port it listens on in the container. */
  port: number;
  /** Polled until it answers 200, then probed again. */
  readyPath: string;
  /** Must answer this build's stamp. */
  stampPath: string;
  /** The file of the lab folder the grader writes a fresh stamp into before each build. */
  stampFile: string;
  /**
   * What the stamp is compiled into: a program or library (`binary`: Go, a C extension),
   * the app's JavaScript (`javascript`), or a jar's resources (`jar`). Anywhere else, it is
   * data a prebuilt app could read at run time: the image was not built from these sources.
   */
  stampIn: 'binary' | 'javascript' | 'jar';
  /**
   * The source that holds the stamp function between its marker lines: the grader writes a
   * new one before each build and asks `stampPath?x=N` for its value, which only a program
   * compiled from this build's sources can answer (a string like the stamp can be patched in).
   */
  stampCode: StampCode;
  /** The lab's own probes (fresh random inputs each grade), sent after the ready and stamp probes. */
  probes: ProbeFactory[];
  /** The source file the grader edits to see what a rebuild takes from the cache (the `cache-friendly` check). */
  edit?: string;
  /** Where the app needs other run limits than the grader's defaults (a flag given for a grade still wins). */
  runLimits?: Partial<RunLimits>;
}

/** What a lab writes: its probes, and whatever differs from the defaults every lab so far shares. */
export type AppDeclaration = Partial<LabApp> & Pick<LabApp, 'probes' | 'stampCode'>;

export const APP_DEFAULTS = { port: 8080, readyPath: '/healthz', stampPath: '/stamp', stampFile: 'stamp.txt', stampIn: 'binary' } as const;

export const declareApp = (app: AppDeclaration): LabApp => ({ ...APP_DEFAULTS, ...app });

/** What the run stage does with the app: where to poll, and every probe in the order they are sent. */
export interface RunPlan {
  port: number;
  readyPath: string;
  probes: ProbeFactory[];
}

export const runPlan = (app: LabApp): RunPlan => ({
  port: app.port,
  readyPath: app.readyPath,
  probes: [health(app.readyPath), stamp(app.stampPath, app.stampCode), ...app.probes],
});
