/**
 * One COPY of metric rows that is never stored twice when it is sent again.
 *
 * A COPY in its own implicit transaction commits as it ends: if the connection is lost after
 * the server committed and before its answer arrived (a server crash, a cut connection at
 * that instant), the client cannot tell whether the rows are in, and sending them again could
 * store them twice. So each COPY runs in an explicit transaction whose id is read first
 * (`BEGIN; SELECT txid_current()`, one round trip), and COMMIT is sent alone: a failure before
 * COMMIT was sent means nothing was committed (the server aborts a transaction whose
 * connection is gone); a connection lost while COMMIT was answered leaves the commit in doubt
 * (`CommitInDoubtError`, carrying the transaction id, the backend's pid and the COPY's first
 * row). Before the rows are sent again, `settleDoubts` asks the server: the first row (found by
 * name and time, the table's index) with that transaction id as its `xmin` is there and
 * visible: committed, not sent again. Else `txid_status`: a transaction still running (its
 * backend did not yet notice the lost connection) has its backend terminated and is asked about
 * again at the next retry; anything else, the rows are sent again. The row check is what makes
 * a crash safe: a crash loses the WAL the server had not written yet, and the transaction ids
 * of that WAL are handed out again after recovery, so `txid_status` alone can report
 * "committed" for another session's transaction that reused the id (seen: a batch answered 202
 * missing after `kill -9` of the postmaster under four writers).
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { HEADER_BYTES } from './pg-copy-encoder.ts';
import { retryable } from './pg-errors.ts';
import { beginWithLockTimeout, TABLE } from './pg-table.ts';

/** A COPY whose COMMIT was sent and whose answer was lost: its transaction id, backend and first row. */
export interface InDoubt {
  readonly xid: string;
  readonly pid: number;
  /** The first row's name and time (epoch-2000 microseconds, as COPY sent it). */
  readonly name: string;
  readonly pgUs: string;
}

/**
 * The first row's name and time in a binary COPY payload's first chunk: the header
 * (HEADER_BYTES, pg-copy-encoder.ts), then per row int16 fields, int32 len + int64 time, int32
 * len + name.
 */
function firstRow(chunk: Buffer): { name: string; pgUs: string } {
  const at = HEADER_BYTES + 2 + 4;
  const nameLen = chunk.readInt32BE(at + 8);
  return {
    pgUs: chunk.readBigInt64BE(at).toString(),
    name: chunk.toString('utf8', at + 12, at + 12 + nameLen),
  };
}

/** The connection was lost while COMMIT was answered (`code`/`message` as the driver's error). */
export class CommitInDoubtError extends Error {
  readonly code: unknown;
  constructor(
    readonly doubt: InDoubt,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.code = (cause as { code?: unknown })?.code;
  }
}

/** A transaction in doubt is still running: its backend was told to end; ask again later. */
export class DoubtStillOpenError extends Error {
  readonly retryCopy = true;
}

/**
 * BEGIN (with `lock_timeout`: a lock held by another session fails the COPY, 55P03, rather than
 * holding it for as long as the lock), the transaction id, the COPY of `chunks`, COMMIT;
 * CommitInDoubtError when the COMMIT's answer is lost.
 */
export async function copyOnce(
  c: pg.PoolClient,
  sql: string,
  chunks: readonly Buffer[],
  lockTimeoutMs: number,
): Promise<void> {
  const begun = (await c.query(
    `${beginWithLockTimeout(lockTimeoutMs)}SELECT txid_current()::text AS xid`,
  )) as unknown as pg.QueryResult<{ xid: string }>[];
  const doubt: InDoubt = {
    xid: begun[2].rows[0].xid,
    pid: (c as unknown as { processID: number }).processID,
    ...firstRow(chunks[0]),
  };
  await new Promise<void>((resolve, reject) => {
    const stream = c.query(copyFrom(sql));
    stream.on('error', reject);
    stream.on('finish', resolve);
    for (const b of chunks) stream.write(b);
    stream.end();
  });
  try {
    await c.query('COMMIT');
  } catch (err) {
    throw retryable(err) ? new CommitInDoubtError(doubt, err) : err;
  }
}

/**
 * The transactions of `doubts` that committed (their xids): the COPY's first row is there with
 * that transaction as its `xmin`. The others are known not to have committed and will not
 * (aborted, unknown to the server, or the id reused after a crash), except one still running:
 * DoubtStillOpenError after terminating its backend (its transaction then aborts).
 */
export async function settleDoubts(c: pg.PoolClient, doubts: readonly InDoubt[]): Promise<Set<string>> {
  const committed = new Set<string>();
  for (const d of new Map(doubts.map((x) => [x.xid, x])).values()) {
    const xid32 = (BigInt(d.xid) % 4_294_967_296n).toString();
    const mine = await c.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${TABLE} WHERE name = $1 AND ` +
        "time = timestamptz '2000-01-01 00:00:00+00' + $2::int8 * interval '1 microsecond' AND xmin::text = $3) AS found",
      [d.name, d.pgUs, xid32],
    );
    if (mine.rows[0].found) {
      committed.add(d.xid);
      continue;
    }
    let status: string | null;
    try {
      const r = await c.query<{ s: string | null }>('SELECT txid_status($1::int8) AS s', [d.xid]);
      status = r.rows[0].s;
    } catch (err) {
      if ((err as { code?: unknown })?.code !== '22023') throw err; // 22023: an xid past the server's
      status = null;
    }
    if (status === 'in progress') {
      await c.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_xid::text = $2',
        [d.pid, xid32],
      );
      throw new DoubtStillOpenError(
        `the transaction of an earlier COPY (${d.xid}) is still open on backend ${d.pid}: ended, checking again`,
      );
    }
  }
  return committed;
}
