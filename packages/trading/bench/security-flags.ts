/** The flags of security.bench.ts (parseFlags). */
export const SECURITY_FLAGS = {
  scenario: {
    type: 'string',
    default: 'all',
    value: 'NAME[,NAME]|all',
    help: 'signing, hostile, slowloris, overload',
  },
  duration: { type: 'number', default: 10, help: 'seconds per measured window' },
  runs: { type: 'number', default: 1 },
  'cpu-prof': { type: 'string', value: 'DIR', help: 'the served system writes a V8 CPU profile there' },
  'query-pause': { type: 'number', default: 0, value: 'MS', help: 'hostile: pause after a 429' },
  'ab-windows': {
    type: 'number',
    default: 0,
    help: 'hostile: pairs of windows without/with the hostile load; signing: pairs of unsigned/signed windows',
  },
  'ab-mode': {
    type: 'string',
    default: 'together',
    choices: ['together', 'turns'],
    help: 'signing: unsigned and signed orders at the same time (each at 1,000/s) or in turn',
  },
  'ab-seconds': { type: 'number', default: 3, help: 'seconds per --ab-windows window' },
  'query-mix': {
    type: 'string',
    default: 'all',
    choices: ['all', 'large'],
    help: 'hostile: the queries sent',
  },
  'attacker-nice': { type: 'number', default: 0, help: "hostile: the query clients' nice value" },
  json: { type: 'boolean', help: 'print the results as JSON' },
} as const;
