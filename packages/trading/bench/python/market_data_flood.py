"""Market-data flood as a typical Python generator writes it: one connection per symbol made
with websocket-client's synchronous `websocket.create_connection`, each driven by an asyncio
task that sends one JSON tick per text frame (price 100.0 + (n % 100) * 0.1, with the float
error that sum carries, volume 1000, `timestamp` from time.time()) and then awaits
asyncio.sleep(1 / RATE). Prints one JSON line: ticks sent in all and per symbol.

    python3 market_data_flood.py WS_URL SYMBOLS RATE_PER_SYMBOL SECONDS

Debian: python3-websocket (the `websocket` module of websocket-client).
"""
import asyncio
import json
import sys
import time

import websocket


async def generate_ticks(url: str, symbol: str, rate: int, duration: float):
    ws = websocket.create_connection(url)

    start_time = time.time()
    tick_count = 0

    while time.time() - start_time < duration:
        tick = {
            "type": "tick",
            "symbol": symbol,
            "price": 100.0 + (tick_count % 100) * 0.1,
            "volume": 1000,
            "timestamp": time.time(),
        }

        ws.send(json.dumps(tick))
        tick_count += 1

        await asyncio.sleep(1.0 / rate)

    ws.close()
    return tick_count


async def main(url: str, n_symbols: int, rate: int, duration: float):
    symbols = [f"SYM{i}" for i in range(n_symbols)]
    results = await asyncio.gather(*[generate_ticks(url, s, rate, duration) for s in symbols])
    print(json.dumps({"sent": sum(results), "bySymbol": dict(zip(symbols, results))}))


if __name__ == "__main__":
    a = sys.argv
    asyncio.run(main(a[1], int(a[2]), int(a[3]), float(a[4])))
