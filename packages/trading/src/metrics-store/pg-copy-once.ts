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
 * (`CommitInDoubtError`, carrying the transaction id and the backend's pid). Before the rows
 * are sent again, `settleDoubts` asks the server what became of that transaction
 * (`txid_status`, which exists for this): committed, the rows are in and are not sent again;
 * aborted (or unknown to the server), they are sent again. A transaction still running (its
 * backend did not yet notice the lost connection) has its backend terminated, and is asked
 * about again at the next retry.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { retryable } from './pg-errors.ts';

/** A COPY whose COMMIT was sent and whose answer was lost: its transaction id and backend. */
export interface InDoubt {
  readonly xid: string;
  readonly pid: number;
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
    `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}; SELECT txid_current()::text AS xid`,
  )) as unknown as pg.QueryResult<{ xid: string }>[];
  const doubt: InDoubt = {
    xid: begun[2].rows[0].xid,
    pid: (c as unknown as { processID: number }).processID,
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
 * The transactions of `doubts` that committed (their xids). The others are known not to have
 * committed and will not: aborted, or unknown to the server (`txid_status` null, or "in the
 * future": its WAL was lost in a crash). One still running throws DoubtStillOpenError after
 * terminating its backend (its transaction then aborts).
 */
export async function settleDoubts(c: pg.PoolClient, doubts: readonly InDoubt[]): Promise<Set<string>> {
  const committed = new Set<string>();
  for (const d of new Map(doubts.map((x) => [x.xid, x])).values()) {
    let status: string | null;
    try {
      const r = await c.query<{ s: string | null }>('SELECT txid_status($1::int8) AS s', [d.xid]);
      status = r.rows[0].s;
    } catch (err) {
      if ((err as { code?: unknown })?.code !== '22023') throw err; // 22023: an xid past the server's
      status = null;
    }
    if (status === 'committed') committed.add(d.xid);
    else if (status === 'in progress') {
      await c.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND ' +
          'backend_xid::text = ($2::int8 % 4294967296)::text',
        [d.pid, d.xid],
      );
      throw new DoubtStillOpenError(
        `the transaction of an earlier COPY (${d.xid}) is still open on backend ${d.pid}: ended, checking again`,
      );
    }
  }
  return committed;
}
