/**
 * The agent workload's Locust-style user mix, in TypeScript, against Tickstorm's agent
 * endpoints (api, port 8000). Run:
 *
 *   tickstorm swarm -f examples/trading-users.ts                                  (web UI, :8089)
 *   tickstorm swarm -f examples/trading-users.ts --headless -u 100 -r 10 -t 5m
 *   tickstorm swarm -f examples/trading-users.ts --headless -u 50 -r 5 -t 10m --class-picker HighFrequencyUser
 *   tickstorm swarm -f examples/trading-users.ts --headless -u 20 -r 2 -t 15m --class-picker BatchProcessingUser
 *
 * Request names and types are the "Sample Results" rows (DATA data_collection, ...).
 * Analyses use 1-second bars, so that a system fed market data for a minute has enough
 * history for every indicator (1-minute bars need 35 minutes for MACD).
 *
 * The mix includes one MarketFeedUser (examples/market-data-users.ts: 1,000 ticks/s into
 * market data: env TICKSTORM_MARKET_DATA_URL, else -H's host on port 5001), so that the
 * analyses have market data to work on; leave it out by naming the classes to run
 * (`tickstorm swarm -f examples/trading-users.ts TradingSystemUser ...`, as Locust takes
 * them) or by unticking it in the web UI (`--class-picker`).
 */
import { between, constantThroughput, HttpUser, tasks } from '@tickstorm/loadlab/swarm';

export { MarketFeedUser } from './market-data-users.ts';

const SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${i}`);
const STRATEGIES = ['sma_crossover', 'rsi', 'macd'] as const;

/** Shared by the trading users: a symbol, an account, a reference price and order sides that alternate. */
abstract class TraderBase extends HttpUser {
  static abstract = true;
  symbol = 'SYM0';
  account = 'default';
  price = 100;
  side: 'buy' | 'sell' = 'buy';
  /** The system knows an account once it has sent an order (risk analysis 404s before). */
  traded = false;

  async onStart(): Promise<void> {
    this.symbol = SYMBOLS[Math.floor(this.random() * SYMBOLS.length)];
    this.account = `user-${this.userId}`;
    await this.refreshPrice();
  }

  async refreshPrice(): Promise<void> {
    const r = await this.client.get(`/api/data/${this.symbol}/bars?interval=1s&limit=1`, {
      name: 'data_collection',
      type: 'DATA',
    });
    if (!r.ok) return;
    const bars = r.json<{ bars?: { close: number }[] }>().bars ?? [];
    if (bars.length > 0 && bars[bars.length - 1].close > 0) this.price = bars[bars.length - 1].close;
  }

  async placeOrder(): Promise<void> {
    const offset = (this.side === 'buy' ? 1 : -1) * Math.round(this.random() * 10) * 0.01;
    const r = await this.client.post(
      '/api/trade/execute',
      {
        symbol: this.symbol,
        side: this.side,
        type: 'limit',
        quantity: 1 + Math.floor(this.random() * 10),
        price: Math.round((this.price + offset) * 100) / 100,
        account: this.account,
      },
      { name: 'trade_execution', type: 'EXEC' },
    );
    this.traded ||= r.ok;
    this.side = this.side === 'buy' ? 'sell' : 'buy';
  }
}

/** Standard trading operations: the workload's six request kinds, weighted 30/20/15/10/5/20. */
export class TradingSystemUser extends TraderBase {
  static weight = 10;
  static tasks = tasks<TradingSystemUser>({
    dataCollection: 30,
    strategyAnalysis: 20,
    riskAnalysis: 15,
    tradeExecution: 10,
    multiAgentWorkflow: 5,
    healthCheck: 20,
  });
  waitTime = between(0.5, 1.5);

  async dataCollection(): Promise<void> {
    const interval = this.random() < 0.5 ? '1s' : '1m';
    await this.client.get(`/api/data/${this.symbol}/bars?interval=${interval}&limit=100`, {
      name: 'data_collection',
      type: 'DATA',
    });
  }

  async strategyAnalysis(): Promise<void> {
    const strategy = STRATEGIES[Math.floor(this.random() * STRATEGIES.length)];
    await this.client.post(
      '/api/strategy/analyze',
      { symbol: this.symbol, strategy, interval: '1s' },
      { name: 'strategy_analysis', type: 'STRATEGY' },
    );
  }

  async riskAnalysis(): Promise<void> {
    await this.client.post(
      '/api/risk/analyze',
      { symbols: [this.symbol], interval: '1s', ...(this.traded ? { account: this.account } : {}) },
      { name: 'risk_analysis', type: 'RISK' },
    );
  }

  async tradeExecution(): Promise<void> {
    await this.placeOrder();
  }

  async multiAgentWorkflow(): Promise<void> {
    await this.client.post(
      '/api/workflow/run',
      { symbol: this.symbol, account: this.account, interval: '1s' },
      { name: 'multi_agent_workflow', type: 'WORKFLOW' },
    );
  }

  async healthCheck(): Promise<void> {
    await this.client.get('/health', { name: 'health_check', type: 'HEALTH' });
  }
}

/** High-frequency trading patterns: 10 requests per second per user, mostly orders and fresh bars. */
export class HighFrequencyUser extends TraderBase {
  static weight = 1;
  static tasks = tasks<HighFrequencyUser>({ trade: 6, quote: 3, health: 1 });
  waitTime = constantThroughput(10);

  async trade(): Promise<void> {
    await this.placeOrder();
  }

  async quote(): Promise<void> {
    await this.client.get(`/api/data/${this.symbol}/bars?interval=1s&limit=10`, {
      name: 'data_collection',
      type: 'DATA',
    });
  }

  async health(): Promise<void> {
    await this.client.get('/health', { name: 'health_check', type: 'HEALTH' });
  }
}

/** Heavy batch processing: 1,000-record metric batches, many-symbol bar pulls, portfolio-wide risk. */
export class BatchProcessingUser extends HttpUser {
  static weight = 1;
  static tasks = tasks<BatchProcessingUser>({ ingestBatch: 3, bulkBars: 2, portfolioRisk: 1 });
  waitTime = between(2, 5);
  private seq = 0;

  async ingestBatch(): Promise<void> {
    const now = Date.now() / 1000;
    const records = Array.from({ length: 1000 }, (_, i) => ({
      name: 'batch.metric',
      value: this.random() * 100,
      labels: { user: String(this.userId), batch: String(this.seq), i: String(i) },
      timestamp: now,
    }));
    this.seq++;
    await this.client.post('/api/metrics', records, { name: 'batch_ingest', type: 'BATCH' });
  }

  async bulkBars(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const s = SYMBOLS[Math.floor(this.random() * SYMBOLS.length)];
      await this.client.get(`/api/data/${s}/bars?interval=1m&limit=500`, {
        name: 'bulk_data_collection',
        type: 'DATA',
      });
    }
  }

  async portfolioRisk(): Promise<void> {
    await this.client.post(
      '/api/risk/analyze',
      { symbols: SYMBOLS },
      { name: 'portfolio_risk', type: 'RISK' },
    );
  }
}
