/**
 * One row of `tickstorm bench` (`--json` writes `{"results": BenchRow[]}`): a critical-path
 * micro-benchmark with its target. The Tickstorm scenarios' "Critical Path Targets" table
 * reads these rows.
 */
export interface BenchRow {
  /** order_creation, order_book_update, risk_check, order_routing */
  id: string;
  name: string;
  p50_ns: number | null;
  p99_ns: number | null;
  ops_per_sec?: number | null;
  /** The published target, in ns. */
  target_ns: number;
  /** Tickstorm's own (stricter) goal, in ns. */
  goal_ns?: number;
  /** Which figure the target applies to (absent: p50). */
  measure?: 'p50' | 'p99';
  pass: boolean | null;
  note?: string;
  extra?: Record<string, unknown>;
}
