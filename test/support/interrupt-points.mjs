// Loaded with `node --import` in a child the test starts: says on file descriptor 3 (a pipe the
// test opened) when the process reaches a point where a test may interrupt it:
//   `listening SIGNAL`  the process has its first listener for SIGINT, SIGTERM or SIGHUP;
//   `resolved NAME`     it is loading the package NAME (commander: the CLI's modules are loading,
//                       its command not run yet).
import { writeSync } from 'node:fs';
import { register } from 'node:module';

const seen = new Set();
process.on('newListener', (event) => {
  if (!['SIGINT', 'SIGTERM', 'SIGHUP'].includes(event) || seen.has(event)) return;
  seen.add(event);
  // 'newListener' comes before the listener is added: say it once the adding code has run
  queueMicrotask(() => writeSync(3, `listening ${event}\n`));
});

const hook = `
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier === 'commander') writeSync(3, 'resolved ' + specifier + '\\n');
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
