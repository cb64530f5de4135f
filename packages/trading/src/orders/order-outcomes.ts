/**
 * Orders answered by POST /orders, counted by order type (`limit`, `market`, `stop`,
 * `invalid` when the body names none of them, `unknown` when it was refused unread under
 * overload) and outcome: the order's status in a 2xx answer (`new`, `partially_filled`,
 * `filled`, `cancelled`, `pending`, ...) or `rejected` for any error answer. Exposed to
 * Prometheus as `tickstorm_orders_total{type,status}`.
 */
import { ORDER_STATUS_NAMES } from '../domain/order-status.ts';
import { OrderRecord } from './order-record.ts';

const TYPES = new Set(['limit', 'market', 'stop']);

export class OrderOutcomes {
  readonly byTypeStatus = new Map<string, number>();

  /** `answer` undefined: the request threw (a coded 4xx/5xx). */
  count(body: unknown, answer: { status: number; body: unknown } | undefined): void {
    const t = (body as { type?: unknown } | null)?.type;
    const type = typeof t === 'string' && TYPES.has(t) ? t : 'invalid';
    let status = 'rejected';
    if (answer !== undefined && answer.status < 300) {
      const b = answer.body;
      status = b instanceof OrderRecord ? ORDER_STATUS_NAMES[b.status] : 'accepted';
    }
    this.add(`${type}|${status}`);
  }

  /** An order refused before its body was read (load shedding's 503). */
  refusedUnread(): void {
    this.add('unknown|rejected');
  }

  private add(key: string): void {
    this.byTypeStatus.set(key, (this.byTypeStatus.get(key) ?? 0) + 1);
  }
}
