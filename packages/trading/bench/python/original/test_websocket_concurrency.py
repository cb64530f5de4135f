import asyncio
import websockets
import json
import time
from typing import List

class WebSocketClient:
    def __init__(self, client_id: int, symbols: List[str]):
        self.client_id = client_id
        self.symbols = symbols
        self.messages_received = 0
        self.total_latency = 0.0

    async def run(self, duration: int):
        """Run WebSocket client"""
        uri = "ws://localhost:8000/ws/metrics"

        async with websockets.connect(uri) as ws:
            # Subscribe to symbols
            for symbol in self.symbols:
                await ws.send(json.dumps({"action": "subscribe", "symbol": symbol}))

            start_time = time.time()

            while time.time() - start_time < duration:
                try:
                    message = await asyncio.wait_for(ws.recv(), timeout=1.0)
                    data = json.parse(message)

                    # Calculate message latency
                    if "timestamp" in data:
                        latency = time.time() - data["timestamp"]
                        self.total_latency += latency * 1000  # ms

                    self.messages_received += 1

                except asyncio.TimeoutError:
                    # Send ping to keep connection alive
                    await ws.send("ping")

        avg_latency = self.total_latency / self.messages_received if self.messages_received > 0 else 0
        return {
            "client_id": self.client_id,
            "messages": self.messages_received,
            "avg_latency": avg_latency
        }

async def run_websocket_load_test(num_clients: int, duration: int):
    """Run WebSocket concurrency test"""
    symbols = [f"SYM{i}" for i in range(50)]

    # Create clients
    clients = [
        WebSocketClient(
            client_id=i,
            symbols=symbols[i*10:(i+1)*10]  # 10 symbols per client
        )
        for i in range(num_clients)
    ]

    # Run all clients concurrently
    print(f"Starting {num_clients} WebSocket clients...")
    results = await asyncio.gather(*[client.run(duration) for client in clients])

    # Analyze results
    total_messages = sum(r["messages"] for r in results)
    avg_latency = sum(r["avg_latency"] for r in results) / len(results)

    print(f"\n=== WebSocket Concurrency Test Results ===")
    print(f"Concurrent clients: {num_clients}")
    print(f"Total messages: {total_messages:,}")
    print(f"Messages/client: {total_messages / num_clients:.0f}")
    print(f"Average latency: {avg_latency:.2f} ms")

if __name__ == "__main__":
    asyncio.run(run_websocket_load_test(
        num_clients=100,
        duration=600  # 10 minutes
    ))
