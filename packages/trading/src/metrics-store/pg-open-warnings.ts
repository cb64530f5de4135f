/**
 * What a PostgreSQL metrics store finds worth a warning at open (it still opens):
 * - the role is a superuser or a member of pg_read_server_files: GET /api/metrics/query runs as
 *   this role and could read the server's files from a SELECT (`pg_read_file`);
 * - the table was created elsewhere without an index led by `name`: every query by name (the
 *   dashboards', the agent endpoints') then scans the whole table. The store does not build it
 *   itself: on a large table someone else owns, `CREATE INDEX` blocks writers for as long as it
 *   runs, so the warning gives the statement to run (CONCURRENTLY, which does not).
 */
import type pg from 'pg';

export async function pgOpenWarnings(client: pg.ClientBase, table: string, where: string): Promise<string[]> {
  const warnings: string[] = [];
  const role = await client.query<{ who: string; su: boolean; files: boolean }>(
    "SELECT current_user AS who, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su, pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') AS files",
  );
  const { who, su, files } = role.rows[0];
  if (su || files) {
    warnings.push(
      `${where}: role "${who}" is ${su ? 'a superuser' : 'a member of pg_read_server_files'}: ` +
        'GET /api/metrics/query can read server files (pg_read_file); use a role without these rights (docs/metrics-store.md)',
    );
  }
  // The first key column of each valid index on the table (in the schema the store writes to).
  const lead = await client.query<{ first: string | null }>(
    'SELECT a.attname AS first FROM pg_index i ' +
      'JOIN pg_class t ON t.oid = i.indrelid AND t.relname = $1 AND t.relnamespace = current_schema()::regnamespace ' +
      'LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] ' +
      'WHERE i.indisvalid',
    [table],
  );
  if (!lead.rows.some((r) => r.first === 'name')) {
    warnings.push(
      `${where}: table ${table} has no index on (name, time): every query by name reads the whole table; ` +
        `create it with CREATE INDEX CONCURRENTLY ${table}_name_time_idx ON ${table} (name, time) (docs/metrics-store.md)`,
    );
  }
  return warnings;
}
