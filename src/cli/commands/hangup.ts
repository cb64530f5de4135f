/**
 * `tickstorm serve` and `tickstorm start` after a SIGHUP, the signal of a closed terminal: their stop must not die of
 * the terminal being gone.
 * - A write to the hung-up terminal fails (EIO): that error, with no listener, would end the
 *   stop as an uncaught exception before the journal is closed. Such output is dropped.
 * - At exit node restores the terminal modes of its standard streams (tcsetattr) and aborts
 *   when that fails, as it does on a hung-up terminal (Node 20: SIGABRT or SIGSEGV after the
 *   clean stop, nodejs/node#51519, fixed in later Node releases by dropping the check). Node
 *   skips a stream whose file descriptor is closed: those that were terminals are closed just
 *   before the exit. tickstorm never changes a terminal's modes, so nothing is left to restore.
 */
export { releaseTerminal, terminalFds } from '../terminal.mjs';

/** From a SIGHUP on: output that cannot be written is dropped, not thrown. */
export function ignoreOutputErrors(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}
