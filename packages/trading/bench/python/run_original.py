"""Runs the clients of ./original/ (kept byte for byte as their users wrote them) against a
system on any ports, for a few seconds instead of their 5 to 10 minutes.

The clients name ws://localhost:5001/stream, http://localhost:5002 and
ws://localhost:8000/ws/metrics and run 300 or 600 s from their own main(). This runner
imports each one unchanged, points those three addresses at the ports given (by wrapping
websocket.create_connection, httpx.AsyncClient and websockets.connect, nothing else) and calls
the client's own functions with a shorter duration. What the client prints is printed as it
is; the last line is one JSON object with what the client itself does not report (HTTP
statuses: the order client counts any answer, a 4xx too, as a success).

    python3 run_original.py flood MD_PORT SYMBOLS RATE SECONDS
    python3 run_original.py orders ENGINE_PORT RATE SECONDS
    python3 run_original.py ws API_PORT CLIENTS SECONDS
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "original"))

PORTS = {}


def retarget(url):
    for default, port in PORTS.items():
        url = url.replace(f"localhost:{default}", f"127.0.0.1:{port}")
    return url


def flood(port, n_symbols, rate, seconds):
    import websocket

    PORTS[5001] = port
    connect = websocket.create_connection
    websocket.create_connection = lambda url, *a, **k: connect(retarget(url), *a, **k)
    import test_market_data_flood as client

    async def run():
        symbols = [f"SYM{i}" for i in range(n_symbols)]
        results = await asyncio.gather(*[client.generate_ticks(s, rate, duration=seconds) for s in symbols])
        total = sum(results)
        # The two lines of run_market_data_flood(), over the shorter duration.
        print(f"Total ticks generated: {total:,}")
        print(f"Average rate: {total / seconds:.2f} ticks/sec")
        return {"sent": total}

    return asyncio.run(run())


def orders(port, rate, seconds):
    import httpx

    PORTS[5002] = port
    statuses = {}
    init = httpx.AsyncClient.__init__
    post = httpx.AsyncClient.post

    def init_retargeted(self, *a, base_url="", **k):
        init(self, *a, base_url=retarget(str(base_url)), **k)

    async def counted_post(self, *a, **k):
        r = await post(self, *a, **k)
        statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
        return r

    httpx.AsyncClient.__init__ = init_retargeted
    httpx.AsyncClient.post = counted_post
    import test_order_stress as client

    async def run():
        generator = client.OrderGenerator(["AAPL", "GOOGL", "MSFT", "AMZN", "TSLA"])
        results = await generator.run_stress_test(rate=rate, duration=seconds)
        await client.analyze_results(results)
        errors = sorted({r["error"] for r in results if not r["success"]})
        return {"sent": len(results), "byStatus": statuses, "exceptions": errors[:5]}

    return asyncio.run(run())


def ws(port, clients, seconds):
    import websockets

    PORTS[8000] = port
    connect = websockets.connect
    websockets.connect = lambda uri, *a, **k: connect(retarget(uri), *a, **k)
    import test_websocket_concurrency as client

    asyncio.run(client.run_websocket_load_test(num_clients=clients, duration=seconds))
    return {"clients": clients}


if __name__ == "__main__":
    a = sys.argv
    kind = a[1]
    if kind == "flood":
        out = flood(int(a[2]), int(a[3]), int(a[4]), float(a[5]))
    elif kind == "orders":
        out = orders(int(a[2]), int(a[3]), int(a[4]))
    else:
        out = ws(int(a[2]), int(a[3]), float(a[4]))
    print(json.dumps(out))
