// Loaded with `node --import` (NODE_OPTIONS) in a child the test starts: a module hook that
// appends the URL of every module the process resolves to the file named by
// TICKSTORM_RECORD_IMPORTS, so a test can see what a command loads.
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
const file = ${JSON.stringify(process.env.TICKSTORM_RECORD_IMPORTS ?? '')};
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (file !== '') appendFileSync(file, r.url + '\\n');
  return r;
}
`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
