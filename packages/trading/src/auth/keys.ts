/**
 * API keys (`serve --keys FILE`, env TICKSTORM_KEYS_FILE): a JSON array of
 * `{"id","secret","role","accounts"?}`. Roles: `trader` (order entry for its `accounts`, and
 * what a viewer sees), `feed` (market-data ingest, POST /api/metrics), `viewer` (metrics,
 * streams, books, limits), `admin` (everything). A bad file is a TRD_ERR_INVALID_CONFIG naming
 * every problem (the CLI exits 2). Secrets are kept as Buffers and never printed: `toJSON`
 * and `inspect` of a key omit them.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { repeatedKey } from '../http/repeated-key.ts';

export const ROLES = ['trader', 'feed', 'viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs (auth/route-rights.ts); what a role holds is ROLE_RIGHTS. */
export type Right = 'trade' | 'feed' | 'view' | 'admin';

export const ROLE_RIGHTS: Readonly<Record<Role, ReadonlySet<Right>>> = {
  trader: new Set<Right>(['trade', 'view']),
  feed: new Set<Right>(['feed']),
  viewer: new Set<Right>(['view']),
  admin: new Set<Right>(['trade', 'feed', 'view', 'admin']),
};

export class ApiKey {
  readonly secret: Buffer;
  constructor(
    readonly id: string,
    secret: string,
    readonly role: Role,
    /** Traders: the accounts they may trade (the first is the default); others: empty. */
    readonly accounts: readonly string[],
  ) {
    this.secret = Buffer.from(secret, 'utf8');
  }
  can(right: Right): boolean {
    return ROLE_RIGHTS[this.role].has(right);
  }
  /** Whether this key may act for `account` (admin: any). */
  holds(account: string): boolean {
    return this.role === 'admin' || this.accounts.includes(account);
  }
  toJSON(): unknown {
    return { id: this.id, role: this.role, accounts: this.accounts };
  }
  [inspect.custom](): string {
    return `ApiKey(${this.id}, ${this.role})`;
  }
}

export class KeyStore {
  private readonly byId = new Map<string, ApiKey>();
  constructor(keys: readonly ApiKey[]) {
    for (const k of keys) this.byId.set(k.id, k);
  }
  get(id: string): ApiKey | undefined {
    return this.byId.get(id);
  }
  get size(): number {
    return this.byId.size;
  }
  /** Every account some trader key holds (registered at start: requests never create accounts). */
  accounts(): string[] {
    const out = new Set<string>();
    for (const k of this.byId.values()) for (const a of k.accounts) out.add(a);
    return [...out];
  }
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const ACCOUNT = /^[A-Za-z0-9._:-]{1,64}$/;
const MIN_SECRET = 16;

/** Validates a parsed keys file; every problem is reported at once. */
export function parseKeys(raw: unknown, source = 'keys'): KeyStore {
  const problems: string[] = [];
  if (!Array.isArray(raw)) {
    throw bad(source, ['expected a JSON array of {"id","secret","role","accounts"?}']);
  }
  if (raw.length === 0) problems.push('no keys: the array is empty');
  const keys: ApiKey[] = [];
  /** id -> the index of the key that has it first */
  const seen = new Map<string, number>();
  raw.forEach((k: unknown, i) => {
    const at = `[${i}]`;
    if (k === null || typeof k !== 'object' || Array.isArray(k)) {
      problems.push(`${at} is not an object`);
      return;
    }
    const o = k as Record<string, unknown>;
    for (const f of Object.keys(o)) {
      if (!['id', 'secret', 'role', 'accounts'].includes(f)) problems.push(`${at}: unknown field "${f}"`);
    }
    const id = o.id;
    if (typeof id !== 'string' || !ID.test(id)) {
      problems.push(`${at}.id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    } else if (seen.has(id)) {
      problems.push(`${at}.id "${id}" is used twice (first by [${seen.get(id)}])`);
    } else {
      seen.set(id, i);
    }
    const where = typeof id === 'string' ? `${at} (${id})` : at;
    if (typeof o.secret !== 'string' || Buffer.byteLength(o.secret) < MIN_SECRET) {
      problems.push(`${where}.secret must be a string of at least ${MIN_SECRET} bytes`);
    }
    if (typeof o.role !== 'string' || !(ROLES as readonly string[]).includes(o.role)) {
      problems.push(`${where}.role must be one of ${ROLES.join(', ')}`);
    }
    let accounts: string[] = [];
    if (o.accounts !== undefined) {
      if (!Array.isArray(o.accounts) || o.accounts.some((a) => typeof a !== 'string' || !ACCOUNT.test(a))) {
        problems.push(`${where}.accounts must be an array of account ids (1-64 of A-Z a-z 0-9 . _ : -)`);
      } else {
        accounts = o.accounts as string[];
        // listed twice is a typo or a merge gone wrong (another account meant?): named, not folded
        const twice = accounts.find((a, j) => accounts.indexOf(a) !== j);
        if (twice !== undefined) problems.push(`${where}.accounts lists "${twice}" twice`);
      }
    }
    if (o.role === 'trader' && accounts.length === 0) {
      problems.push(`${where}: a trader key needs at least one account`);
    }
    if (o.role !== 'trader' && accounts.length > 0) {
      problems.push(`${where}: only trader keys hold accounts`);
    }
    if (problems.length === 0)
      keys.push(new ApiKey(id as string, o.secret as string, o.role as Role, accounts));
  });
  if (problems.length > 0) throw bad(source, problems);
  return new KeyStore(keys);
}

/** Reads and validates a keys file (TRD_ERR_INVALID_CONFIG naming the file and the problems). */
export function loadKeysFile(path: string): KeyStore {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw bad(path, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  let raw: unknown;
  // A byte order mark (Windows editors write one) is not part of the JSON.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw bad(path, [`not JSON: ${jsonErrorWithoutText((err as Error).message)}`]);
  }
  // JSON.parse keeps the last of a field given twice in one key ("role" twice: which was meant?)
  const twice = repeatedKey(json);
  if (twice !== undefined) {
    throw bad(path, [`a key gives the field ${JSON.stringify(twice.slice(0, 64))} twice`]);
  }
  return parseKeys(raw, path);
}

function bad(source: string, problems: string[]): TradingError {
  return new TradingError(TradingErrorCode.INVALID_CONFIG, `--keys ${source}: ${problems.join('; ')}`);
}

/**
 * JSON.parse's message without the text it may quote ("Unexpected token 'S', ..."secret":SUPERSE"...
 * is not valid JSON"): in a keys file that text can be a secret. Messages that only give a
 * position are kept.
 */
function jsonErrorWithoutText(message: string): string {
  if (!/is not valid JSON$/.test(message)) return message;
  return /^Unexpected token/.test(message)
    ? 'unexpected token (the text is not shown: it may hold a secret)'
    : 'invalid JSON (the text is not shown: it may hold a secret)';
}
