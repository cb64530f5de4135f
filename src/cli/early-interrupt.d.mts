/** k6's "interrupted" exit code (./early-interrupt.mjs). */
export declare const EXIT_INTERRUPTED: number;
/**
 * From now on, an interrupt of `command` that no listener of its own takes exits as its --help
 * says: 105 for run, swarm and start; 0 for http (until http listens itself).
 */
export declare function exitOnEarlyInterrupt(command: string | undefined): void;
