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
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** The standard file descriptors that are terminals, read at start (a hung-up one no longer answers). */
export function terminalFds(): number[] {
  return [0, 1, 2].filter((fd) => isatty(fd));
}

/** From a SIGHUP on: output that cannot be written is dropped, not thrown. */
export function ignoreOutputErrors(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

/** Closes `fds` (the terminal's), so that node's exit does not try to restore their modes. */
export function releaseTerminal(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
