import asyncio
import httpx
import random
import time
from typing import List, Dict

class OrderGenerator:
    def __init__(self, symbols: List[str]):
        self.symbols = symbols
        self.client = httpx.AsyncClient(base_url="http://localhost:5002")

    async def generate_order(self) -> Dict:
        """Generate random order"""
        symbol = random.choice(self.symbols)
        side = random.choice(["buy", "sell"])

        # Order type distribution: 60% limit, 30% market, 10% stop
        rand = random.random()
        if rand < 0.6:
            order_type = "limit"
            price = 100.0 + random.uniform(-10, 10)
        elif rand < 0.9:
            order_type = "market"
            price = None
        else:
            order_type = "stop"
            price = 100.0 + random.uniform(-5, 5)

        return {
            "symbol": symbol,
            "side": side,
            "type": order_type,
            "quantity": random.randint(1, 100),
            "price": price
        }

    async def submit_order(self) -> Dict:
        """Submit order and measure latency"""
        order = await self.generate_order()
        start = time.time()

        try:
            response = await self.client.post("/orders", json=order)
            latency = (time.time() - start) * 1000  # ms
            return {"success": True, "latency": latency}
        except Exception as e:
            latency = (time.time() - start) * 1000
            return {"success": False, "latency": latency, "error": str(e)}

    async def run_stress_test(self, rate: int, duration: int):
        """Run order stress test"""
        start_time = time.time()
        results = []

        while time.time() - start_time < duration:
            batch_start = time.time()

            # Submit orders at target rate
            batch_size = rate  # 1 second batch
            tasks = [self.submit_order() for _ in range(batch_size)]
            batch_results = await asyncio.gather(*tasks)
            results.extend(batch_results)

            # Calculate sleep time to maintain rate
            batch_duration = time.time() - batch_start
            sleep_time = max(0, 1.0 - batch_duration)
            await asyncio.sleep(sleep_time)

        return results

async def analyze_results(results: List[Dict]):
    """Analyze test results"""
    successful = [r for r in results if r["success"]]
    failed = [r for r in results if not r["success"]]

    latencies = [r["latency"] for r in successful]
    latencies.sort()

    print(f"=== Order Stress Test Results ===")
    print(f"Total orders: {len(results):,}")
    print(f"Successful: {len(successful):,} ({len(successful)/len(results)*100:.1f}%)")
    print(f"Failed: {len(failed):,} ({len(failed)/len(results)*100:.1f}%)")
    print()
    print(f"Latency Stats:")
    print(f"  P50: {latencies[len(latencies)//2]:.2f} ms")
    print(f"  P95: {latencies[int(len(latencies)*0.95)]:.2f} ms")
    print(f"  P99: {latencies[int(len(latencies)*0.99)]:.2f} ms")
    print(f"  Max: {max(latencies):.2f} ms")

async def main():
    symbols = ["AAPL", "GOOGL", "MSFT", "AMZN", "TSLA"]
    generator = OrderGenerator(symbols)

    results = await generator.run_stress_test(
        rate=1000,      # 1000 orders/sec
        duration=300    # 5 minutes
    )

    await analyze_results(results)

if __name__ == "__main__":
    asyncio.run(main())
