/**
 * `tickstorm serve` and `tickstorm start` outlive a hang-up of their terminal (a closed window,
 * a dropped ssh session): their stop must not die of the terminal being gone.
 * - A write to the hung-up terminal fails (EIO): that error, with no listener, would end the
 *   stop as an uncaught exception before the journal is closed. Such output is dropped. The
 *   write can fail before the SIGHUP is handled (a SIGTERM handled just after the hang-up
 *   writes "stopping"): an EIO is itself taken as the hang-up.
 * - At exit node restores the terminal modes of its standard streams (tcsetattr) and aborts
 *   when that fails, as it does on a hung-up terminal (Node 20: SIGABRT or SIGSEGV after the
 *   clean stop, nodejs/node#51519, fixed in later Node releases by dropping the check). Node
 *   skips a stream whose file descriptor is closed: at exit, by whatever path (a second
 *   signal's process.exit, the end of the stop, an uncaught exception), those that were
 *   terminals at start and no longer answer as one are closed first. tickstorm never changes
 *   a terminal's modes, so nothing is left to restore.
 */
import { isatty } from 'node:tty';
import { releaseTerminal, terminalFds } from '../terminal.mjs';

/**
 * From now on a hang-up of the process's terminal neither throws nor aborts the exit. Returns
 * what to call on SIGHUP: from then on every output error is dropped.
 */
export function outliveHangUp(): () => void {
  // read now: a terminal that hung up no longer answers
  const terminals = terminalFds();
  let hungUp = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!hungUp && err.code !== 'EIO') throw err;
      hungUp = true;
    });
  }
  process.on('exit', () => releaseTerminal(terminals.filter((fd) => !isatty(fd))));
  return () => {
    hungUp = true;
  };
}
