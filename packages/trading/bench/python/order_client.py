"""Order client with raw decimal prices, as a typical asyncio script sends them.

Each second it fires RATE orders concurrently through one httpx.AsyncClient (default pool:
100 connections): 5 symbols, side 50/50, 60% limit at 100 +- 10, 30% market, 10% stop at
100 +- 5, quantity 1..100, prices with every decimal random.uniform gives. Prints one JSON
line: orders sent, answers by HTTP status, error rate (non-2xx or no answer), latency p50/p95.

    python3 order_client.py BASE_URL RATE SECONDS
"""
import asyncio
import json
import random
import sys
import time

import httpx

SYMBOLS = ["AAPL", "GOOGL", "MSFT", "AMZN", "TSLA"]


def make_order():
    r = random.random()
    if r < 0.6:
        kind, price = "limit", 100.0 + random.uniform(-10, 10)
    elif r < 0.9:
        kind, price = "market", None
    else:
        kind, price = "stop", 100.0 + random.uniform(-5, 5)
    return {
        "symbol": random.choice(SYMBOLS),
        "side": random.choice(["buy", "sell"]),
        "type": kind,
        "quantity": random.randint(1, 100),
        "price": price,
    }


async def one(client, out):
    start = time.time()
    try:
        r = await client.post("/orders", json=make_order())
        out.append((r.status_code, (time.time() - start) * 1000))
    except Exception:
        out.append((0, (time.time() - start) * 1000))


async def main(base, rate, seconds):
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(seconds):
            t0 = time.time()
            await asyncio.gather(*[one(client, out) for _ in range(rate)])
            await asyncio.sleep(max(0, 1.0 - (time.time() - t0)))
    by_status = {}
    for status, _ in out:
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    errors = sum(1 for s, _ in out if not 200 <= s < 300)
    lat = sorted(l for _, l in out)
    print(json.dumps({
        "rate": rate, "seconds": seconds, "sent": len(out), "byStatus": by_status,
        "errors": errors, "errorRate": errors / len(out),
        "p50Ms": lat[len(lat) // 2], "p95Ms": lat[int(len(lat) * 0.95)],
    }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
