/**
 * Ends the process once a load command has returned (its summary printed, its files written),
 * even when something a script or user file started at its top level (a timer, a server, a
 * socket) still holds the event loop: what is left gets `graceMs`, then the process exits with
 * `process.exitCode`. The timer is unref'd, so a loop that is idle ends at once, as before.
 * (k6 and Locust end when their test does, whatever the script left behind.)
 */
export function exitOnceDone(graceMs = 1000): void {
  setTimeout(() => process.exit(), graceMs).unref();
}
