/**
 * `@tickstorm/trading/bench`: the critical-path micro-benchmarks behind `tickstorm bench`.
 * CRITICAL_PATH_RUNNER is a TypeScript entry that prints `{"results": BenchRow[]}` on stdout;
 * run it in a child process (`--import tsx`, flags `--ops N --runs N`).
 */
import { fileURLToPath } from 'node:url';

export type { BenchRow } from '@tickstorm/protocol';

export const CRITICAL_PATH_RUNNER: string = fileURLToPath(
  new URL('./critical-path-runner.ts', import.meta.url),
);
