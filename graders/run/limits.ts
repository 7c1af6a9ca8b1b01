/** What the graded container may use and how long the grader waits for it. */
export interface RunLimits {
  /** Memory, no swap beyond it. */
  memoryBytes: number;
  cpus: number;
  /** Processes and threads. */
  pids: number;
  /** From the container's start to the ready path answering 200. */
  startupTimeoutMs: number;
  /** Each probe's request. */
  probeTimeoutMs: number;
}

/** An honest lab app uses a tenth of this memory (the runs check's probes, measured in every lab's solution). */
export const DEFAULT_RUN_LIMITS: RunLimits = {
  memoryBytes: 256 * 2 ** 20,
  cpus: 1,
  pids: 128,
  startupTimeoutMs: 20_000,
  probeTimeoutMs: 5_000,
};
