/**
 * Ctrl-C (SIGINT) or SIGTERM (`start`: also SIGHUP) given to `tickstorm run`, `swarm` or
 * `start` before the command listens for it itself: their modules take a second or more to
 * load, and a few checks come before each installs its own handler, and node's default would
 * end the process by the signal (130 or 143 in a shell) where their --help documents 105,
 * "interrupted" (k6's). Installed first thing by bin/tickstorm.js (plain JavaScript: nothing
 * to compile before it); from then on such a signal exits 105 with one line on stderr,
 * unless the command has a listener of its own for it, which then decides (a first Ctrl-C
 * stops the run and reports; a second, with no listener of the command's left, exits here).
 * Anything the command started and kills on exit ('exit' listeners) is killed: node's death
 * by a signal runs none of them. Before node runs any JavaScript (its first few tens of ms),
 * the signal's default still applies: nothing can be installed earlier.
 *
 *   exitOnEarlyInterrupt(process.argv[2]);   // bin/tickstorm.js, before anything is imported
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** k6's "interrupted": EXIT_ABORTED in packages/loadlab/src/gates/exit-codes.ts. */
export const EXIT_INTERRUPTED = 105;

/** The commands whose --help documents 105 for an interrupt, and the signals that are one. */
const INTERRUPTS = {
  run: ['SIGINT', 'SIGTERM'],
  swarm: ['SIGINT', 'SIGTERM'],
  start: ['SIGINT', 'SIGTERM', 'SIGHUP'],
};

/** Listens for `command`'s interrupting signals (none for another command). */
export function exitOnEarlyInterrupt(command) {
  const signals = Object.hasOwn(INTERRUPTS, command) ? INTERRUPTS[command] : [];
  // read now: a terminal that hung up no longer answers (./commands/hangup.ts)
  const terminals = [0, 1, 2].filter((fd) => isatty(fd));
  for (const signal of signals) {
    const early = () => {
      if (process.listeners(signal).some((l) => l !== early)) return;
      if (signal === 'SIGHUP') {
        // the terminal is gone: nothing to say, and node's exit must not restore its modes
        for (const fd of terminals) {
          try {
            closeSync(fd);
          } catch {
            // already closed
          }
        }
      } else {
        try {
          process.stderr.write(`\ntickstorm ${command}: interrupted (${signal})\n`);
        } catch {
          // no stderr to write to: the exit code says it
        }
      }
      process.exit(EXIT_INTERRUPTED);
    };
    process.on(signal, early);
  }
}
