/**
 * `tickstorm serve` and `tickstorm start` outlive a hang-up of their terminal (a closed window,
 * a dropped ssh session): their stop must not die of the terminal being gone.
 * - A write to the hung-up terminal fails (EIO): that error, with no listener, would end the
 *   stop as an uncaught exception before the journal is closed. Such output is dropped. The
 *   write can fail before the SIGHUP is handled (a SIGTERM handled just after the hang-up
 *   writes "stopping"): an EIO from a stream that was a terminal is itself taken as the
 *   hang-up. Any other output error is left to the stream's other listeners (../main.ts drops
 *   stdout's EPIPE, `tickstorm … | head`), and thrown as before where there are none.
 * - At exit node restores the terminal modes of its standard streams (tcsetattr) and aborts
 *   when that fails, as it does on a hung-up terminal (Node 20: SIGABRT or SIGSEGV after the
 *   clean stop, nodejs/node#51519, fixed in later Node releases by dropping the check). Node
 *   skips a stream whose file descriptor is closed: on the 'exit' event (process.exit, the
 *   event loop's end, an uncaught exception) those that were terminals at start and no longer
 *   answer as one are closed first. tickstorm never changes a terminal's modes, so nothing is
 *   left to restore. (A signal no listener takes ends the process without an 'exit' event:
 *   serve and start listen for theirs until they return.)
 */
import { isatty } from 'node:tty';
import { releaseTerminal, terminalFds } from '../terminal.mjs';

/**
 * From now on a hang-up of the process's terminal neither throws nor aborts the exit: the first
 * write to the hung-up terminal fails with EIO, and every output error after it is dropped.
 */
export function outliveHangUp(): void {
  // read now: a terminal that hung up no longer answers
  const terminals = terminalFds();
  let hungUp = false;
  for (const [fd, stream] of [
    [1, process.stdout],
    [2, process.stderr],
  ] as const) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EIO' && terminals.includes(fd)) hungUp = true;
      else if (!hungUp && stream.listenerCount('error') === 1) throw err;
    });
  }
  process.on('exit', () => releaseTerminal(terminals.filter((fd) => !isatty(fd))));
}
