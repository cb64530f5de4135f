import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
import websocket
import json

async def generate_ticks(symbol: str, rate: int, duration: int):
    """Generate market ticks at specified rate"""
    ws = websocket.create_connection("ws://localhost:5001/stream")

    start_time = time.time()
    tick_count = 0

    while time.time() - start_time < duration:
        tick = {
            "type": "tick",
            "symbol": symbol,
            "price": 100.0 + (tick_count % 100) * 0.1,
            "volume": 1000,
            "timestamp": time.time()
        }

        ws.send(json.dumps(tick))
        tick_count += 1

        # Control rate
        await asyncio.sleep(1.0 / rate)

    ws.close()
    return tick_count

async def run_market_data_flood():
    """Run market data flood test"""
    symbols = [f"SYM{i}" for i in range(50)]
    rate_per_symbol = 2000  # 2000 ticks/sec/symbol = 100,000 total

    tasks = [
        generate_ticks(symbol, rate_per_symbol, duration=600)
        for symbol in symbols
    ]

    results = await asyncio.gather(*tasks)
    total_ticks = sum(results)

    print(f"Total ticks generated: {total_ticks:,}")
    print(f"Average rate: {total_ticks / 600:.2f} ticks/sec")

if __name__ == "__main__":
    asyncio.run(run_market_data_flood())
