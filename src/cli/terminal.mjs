/**
 * The process's terminal after a SIGHUP (./commands/hangup.ts says why): which standard file
 * descriptors are terminals, read at start, and closing them before the exit. Plain JavaScript:
 * ./early-interrupt.mjs uses it before tsx loads.
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** The standard file descriptors that are terminals, read at start (a hung-up one no longer answers). */
export function terminalFds() {
  return [0, 1, 2].filter((fd) => isatty(fd));
}

/** Closes `fds` (the terminal's), so that node's exit does not try to restore their modes. */
export function releaseTerminal(fds) {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
