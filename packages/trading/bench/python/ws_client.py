"""Many /ws/metrics subscribers in one asyncio process, as a typical Python client runs them.

N clients (default 100) each subscribe to 10 of 50 symbols (client i: SYM(10i+k mod 50)) and
read for SECONDS; every update's age is time.time() - its "timestamp" at the moment it is
read. After the first WARMUP seconds the ages are kept. Prints one JSON line: messages, clients
that got updates, age p50/p95/p99/max in ms.

    python3 ws_client.py WS_URL SECONDS [CLIENTS] [WARMUP]
"""
import asyncio
import json
import sys
import time

import websockets


async def client(i, url, until, keep_from, ages, got):
    symbols = [f"SYM{(i * 10 + k) % 50}" for k in range(10)]
    async with websockets.connect(url, max_size=None) as ws:
        for s in symbols:
            await ws.send(json.dumps({"action": "subscribe", "symbol": s}))
        while time.time() < until:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=1.0)
            except asyncio.TimeoutError:
                await ws.send("ping")
                continue
            if message == "pong":  # the answer to a text ping is text, not JSON
                continue
            data = json.loads(message)
            now = time.time()
            if data.get("type") == "update" and "timestamp" in data and now >= keep_from:
                ages.append((now - data["timestamp"]) * 1000)
                got[i] += 1


async def main(url, seconds, n, warmup):
    ages, got = [], [0] * n
    start = time.time()
    await asyncio.gather(*[client(i, url, start + seconds, start + warmup, ages, got) for i in range(n)])
    ages.sort()
    q = lambda p: ages[min(len(ages) - 1, int(len(ages) * p))] if ages else None
    print(json.dumps({
        "clients": n, "clientsUpdated": sum(1 for g in got if g > 0), "messages": len(ages),
        "p50Ms": q(0.5), "p95Ms": q(0.95), "p99Ms": q(0.99), "maxMs": ages[-1] if ages else None,
    }))


if __name__ == "__main__":
    a = sys.argv
    asyncio.run(main(a[1], float(a[2]), int(a[3]) if len(a) > 3 else 100, float(a[4]) if len(a) > 4 else 2))
