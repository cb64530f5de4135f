/** k6's "interrupted" exit code (./early-interrupt.mjs). */
export declare const EXIT_INTERRUPTED: number;
/** From now on, an interrupt of `command` (run, swarm, start) no listener of its own takes exits 105. */
export declare function exitOnEarlyInterrupt(command: string | undefined): void;
