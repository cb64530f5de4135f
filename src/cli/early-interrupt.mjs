/**
 * Ctrl-C (SIGINT) or SIGTERM (`start`: also SIGHUP) given to `tickstorm run`, `swarm`, `start`
 * or `http` before the command listens for it itself: their modules take a second or more to
 * load, and a few checks come before each installs its own handler, and node's default would
 * end the process by the signal (130 or 143 in a shell) where their --help documents their
 * exit code for an interrupt: 105, "interrupted" (k6's), for run, swarm and start; 0 for http
 * (Ctrl-C ends its run early, and before it began nothing ran). Installed first thing by
 * bin/tickstorm.js (plain JavaScript: nothing to compile before it); from then on such a
 * signal exits with that code and one line on stderr, unless the command has a listener of
 * its own for it, which then decides (a first Ctrl-C stops the run and reports) and takes over:
 * this listener leaves, so a second one that no listener of the command's takes ends the
 * process by the signal, at once, as before there was a listener here. `http`'s leaves as soon as the
 * command listens (its first Ctrl-C ends the run with the summary, a second one ends the
 * process by the signal, as before). Anything the command started and kills on exit ('exit'
 * listeners) is killed: node's death by a signal runs none of them. Before node runs any
 * JavaScript (its first few tens of ms), the signal's default still applies: nothing can be
 * installed earlier.
 *
 *   exitOnEarlyInterrupt(process.argv[2]);   // bin/tickstorm.js, before anything is imported
 */
import { releaseTerminal, terminalFds } from './terminal.mjs';

/** k6's "interrupted": EXIT_ABORTED in packages/loadlab/src/gates/exit-codes.ts. */
export const EXIT_INTERRUPTED = 105;

/**
 * The commands whose --help documents an interrupt's exit code, their signals, that code, and
 * (`untilListened`) whether the early listener leaves once the command listens for the signal.
 */
const INTERRUPTS = {
  run: { signals: ['SIGINT', 'SIGTERM'], code: EXIT_INTERRUPTED, untilListened: false },
  swarm: { signals: ['SIGINT', 'SIGTERM'], code: EXIT_INTERRUPTED, untilListened: false },
  start: { signals: ['SIGINT', 'SIGTERM', 'SIGHUP'], code: EXIT_INTERRUPTED, untilListened: false },
  http: { signals: ['SIGINT', 'SIGTERM'], code: 0, untilListened: true },
};

/** Listens for `command`'s interrupting signals (none for another command). */
export function exitOnEarlyInterrupt(command) {
  if (!Object.hasOwn(INTERRUPTS, command)) return;
  const { signals, code, untilListened } = INTERRUPTS[command];
  // read now: a terminal that hung up no longer answers (./commands/hangup.ts)
  const terminals = terminalFds();
  const installed = new Map();
  for (const signal of signals) {
    const early = () => {
      if (process.listeners(signal).some((l) => l !== early)) {
        // the command took this interrupt: the next ones are its own to take, and once it no
        // longer listens (swarm's and run --master's listen once) node's default ends the
        // process by the signal, at once even while its event loop is busy (a user's onStop
        // in a loop): a listener here would wait for the loop, and quit only after it
        for (const [s, l] of installed) process.off(s, l);
        installed.clear();
        return;
      }
      if (signal === 'SIGHUP') {
        // the terminal is gone: nothing to say, and node's exit must not restore its modes
        releaseTerminal(terminals);
      } else {
        try {
          process.stderr.write(
            code === 0
              ? `\ntickstorm ${command}: interrupted (${signal}) before the run began: nothing ran\n`
              : `\ntickstorm ${command}: interrupted (${signal})\n`,
          );
        } catch {
          // no stderr to write to: the exit code says it
        }
      }
      process.exit(code);
    };
    installed.set(signal, early);
    process.on(signal, early);
  }
  if (!untilListened) return;
  // the command listens for `event`: from now on it alone decides what that signal does. Left
  // once its listener is in: leaving before would stop node's watch of the signal (no listener
  // left), and adding it, which started no watch (one was there), would not start it again
  const leave = (event, listener) => {
    const early = installed.get(event);
    if (early === undefined || listener === early) return;
    installed.delete(event);
    if (installed.size === 0) process.off('newListener', leave);
    process.nextTick(() => process.off(event, early));
  };
  process.on('newListener', leave);
}
