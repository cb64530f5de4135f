/**
 * Allocation probes measure the steady state. V8 optimises hot code on a background thread;
 * on a loaded machine (CI runs test files side by side) a measured run can still execute
 * code that is not optimised yet and boxes numbers. So a probe is repeated, up to
 * `attempts` times, until it passes: code that allocates on every call fails every attempt.
 * STEADY_ATTEMPTS is what the probes use: a full suite on 2 cores once saw 5 attempts of
 * not-yet-optimised code in a row (7 scavenges each) where the file alone passed at once.
 */
export const STEADY_ATTEMPTS = 20;

export function untilSteady<R>(
  attempts: number,
  passes: (r: R) => boolean,
  probe: () => R,
): { result: R; runs: number } {
  let result = probe();
  let runs = 1;
  while (!passes(result) && runs < attempts) {
    result = probe();
    runs++;
  }
  return { result, runs };
}
