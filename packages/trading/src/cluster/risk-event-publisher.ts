/**
 * An execution engine's side of central risk (docs/deployment.md, "Risk across processes"):
 * a listener of its matching engines (in the core's ListenerChain) that publishes what the
 * central risk manager needs on Subject.RISK_EVENTS: every trade (maker and taker accounts
 * by name) and the status changes that move open quantity (an order's first event, carrying
 * the reservation of its check, and cancels); the releases of reservations whose order was
 * not placed; and, on the risk manager's resync (Subject.RISK_RESYNC), this engine's state
 * from its own RiskEngine (positions and open quantities per account and book), in order
 * with its events. NatsBus batches the publishes of one event-loop turn into one message.
 *
 * Silent until `start`: the journal replay of a restart rebuilds local state only; the risk
 * manager learns it from the state this engine sends (start says hello, which asks for it).
 */
import type { EngineListener } from '../book/engine-types.ts';
import type { Bus } from '../bus/bus.ts';
import { OrderStatus } from '../domain/order-status.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { AccountCells, RiskEvent, RiskEventEnvelope, RiskResync, StatusEvent } from './risk-wire.ts';
import { Subject } from './subjects.ts';

/** Cells per part of a state (a part stays far below the server's 1 MB message limit). */
export const STATE_PART_CELLS = 4096;

export class RiskEventPublisher implements EngineListener {
  /** The reservation of the order being submitted now (its first status event carries it). */
  pendingRes: string | null = null;
  /** Cells per part of a state. */
  partCells = STATE_PART_CELLS;
  private risk: RiskEngine | null = null;
  private readonly stops: (() => void)[] = [];

  /** `journal`: this engine's journal (host and data directory), said in its hello (risk-wire.ts). */
  constructor(
    private readonly bus: Bus,
    private readonly journal?: string,
  ) {}

  /** Starts publishing (the core is built: recovery is over) and says hello. */
  start(risk: RiskEngine): void {
    if (this.risk !== null) return;
    this.risk = risk;
    this.stops.push(
      this.bus.subscribe<RiskResync>(Subject.RISK_RESYNC, (q) => {
        if (q.engine === undefined || q.engine === this.bus.instanceId) this.publishState(q.epoch);
      }),
      // Back on the bus after a disconnection: the risk manager may have missed events.
      this.bus.onState((s) => {
        if (s === 'connected') this.hello();
      }),
    );
    this.hello();
  }

  private hello(): void {
    this.send(this.journal === undefined ? { k: 'hello' } : { k: 'hello', journal: this.journal });
  }

  onTrade(
    book: number,
    _makerId: number,
    _takerId: number,
    priceTicks: number,
    qty: number,
    takerSide: number,
    makerAccount: number,
    takerAccount: number,
  ): void {
    const risk = this.risk;
    if (risk === null) return;
    this.send({
      k: 't',
      book,
      px: priceTicks,
      qty,
      takerSide,
      maker: risk.accounts.nameOf(makerAccount) ?? '',
      taker: risk.accounts.nameOf(takerAccount) ?? '',
    });
  }

  onOrderStatus(
    _orderId: number,
    book: number,
    side: number,
    account: number,
    prevStatus: number,
    status: number,
    _reason: number,
    _filledQty: number,
    remainingQty: number,
    _filledNotional: number,
  ): void {
    const risk = this.risk;
    if (risk === null) return;
    const first = prevStatus === OrderStatus.NONE;
    if (!first && status !== OrderStatus.CANCELLED) return;
    const name = risk.accounts.nameOf(account) ?? '';
    // The order's first status event carries the reservation its check made (if any).
    const res = first ? this.pendingRes : null;
    if (res !== null) this.pendingRes = null;
    const e: StatusEvent = {
      k: 's',
      book,
      side,
      account: name,
      prev: prevStatus,
      st: status,
      rem: remainingQty,
    };
    if (res !== null) e.res = res;
    this.send(e);
  }

  /** The order reserved under `res` will not be placed. */
  release(res: string): void {
    this.send({ k: 'r', res });
  }

  /**
   * This engine's positions and open quantities, for the risk manager's rebuild `epoch`, in
   * parts of about `partCells` cells (an account's cells stay in one part), published in one go (no event between them).
   */
  publishState(epoch: number): void {
    const risk = this.risk;
    if (risk === null) return;
    const st = risk.st;
    const n = risk.instruments.size;
    let part = 0;
    let size = 0;
    let accounts: AccountCells[] = [];
    for (let a = 0; a < risk.accounts.size; a++) {
      let cells: AccountCells['cells'] | null = null;
      for (let s = 0; s < n; s++) {
        const k = a * n + s;
        if (st.pos[k] === 0 && st.openBuy[k] === 0 && st.openSell[k] === 0) continue;
        if (cells === null) {
          if (size >= this.partCells) {
            this.send({ k: 'state', epoch, part: part++, last: false, accounts });
            accounts = [];
            size = 0;
          }
          cells = [];
          accounts.push({ account: risk.accounts.nameOf(a) ?? String(a), cells });
        }
        cells.push([s, st.pos[k], st.openBuy[k], st.openSell[k]]);
        size++;
      }
    }
    this.send({ k: 'state', epoch, part, last: true, accounts });
  }

  /** Says bye (the risk manager stops waiting for this engine in a rebuild) and stops publishing. */
  stop(): void {
    if (this.risk !== null) this.send({ k: 'bye' });
    for (const s of this.stops.splice(0)) s();
    this.risk = null;
  }

  private send(e: RiskEvent): void {
    const env: RiskEventEnvelope = { engine: this.bus.instanceId, e };
    this.bus.publish(Subject.RISK_EVENTS, env);
  }
}
