/**
 * What the execution engine's HTTP layer asks when several engine processes partition the
 * symbols (implemented by cluster/order-routing.ts): each method answers the owner's reply
 * when the request belongs to another partition, or undefined when this engine answers it
 * itself (its own symbols and orders, and anything malformed: 4xx stay local).
 */
import type { AccountScope, GatewayReply } from './order-gateway.ts';

export interface EngineRouting {
  /** POST /orders for a symbol another engine owns. */
  submit(body: unknown, scope: AccountScope | undefined): Promise<GatewayReply> | undefined;
  /** GET /orders/:id of an order another engine owns (its id's tag). */
  get(id: string, scope: AccountScope | undefined): Promise<GatewayReply> | undefined;
  /** DELETE /orders/:id of an order another engine owns. */
  cancel(id: string, scope: AccountScope | undefined): Promise<GatewayReply> | undefined;
  /** GET /book/:symbol (depth already validated) of a symbol another engine owns. */
  book(symbol: string, depth: number): Promise<GatewayReply> | undefined;
  /** GET /orders (open orders): gathered from every partition, paged across them. */
  list(query: Record<string, unknown>, scope: AccountScope | undefined): Promise<GatewayReply>;
  /** The kill switch: `local` is this engine's own answer; the others are asked too. */
  admin(op: 'halt' | 'resume', account: string, local: GatewayReply): Promise<GatewayReply>;
}
