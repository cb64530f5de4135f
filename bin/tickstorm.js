#!/usr/bin/env node
// The `tickstorm` CLI. The sources are TypeScript; tsx compiles them as they load,
// so there is no build step between a fresh clone and a running command.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
