#!/usr/bin/env node
// The `tickstorm` CLI. The sources are TypeScript; tsx compiles them as they load,
// so there is no build step between a fresh clone and a running command.
// First of all, before that second or more of loading: an interrupt of run, swarm or start
// exits 105 (http: 0), as their --help says, not by the signal (../src/cli/early-interrupt.mjs).
import { exitOnEarlyInterrupt } from '../src/cli/early-interrupt.mjs';

exitOnEarlyInterrupt(process.argv[2]);
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');
