/** The standard file descriptors that are terminals, read at start (./terminal.mjs). */
export declare function terminalFds(): number[];
/** Closes `fds` (the terminal's), so that node's exit does not try to restore their modes. */
export declare function releaseTerminal(fds: readonly number[]): void;
