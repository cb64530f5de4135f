"""The user classes of bench/swarm-vs-locust.bench.ts (twins in bench/swarm-bench-users.ts):
closed loop (constant(0), as fast as each user can), two GETs weighted 1:1.
  BenchUser        bars (50 one-second bars of SYM0) + /api/metrics/system
  HealthBenchUser  bars + /health
"""
from locust import HttpUser, constant, task

BARS = "/api/data/SYM0/bars?interval=1s&limit=50"


class BenchUser(HttpUser):
    wait_time = constant(0)

    @task(1)
    def bars(self):
        self.client.get(BARS, name="data_collection")

    @task(1)
    def system(self):
        self.client.get("/api/metrics/system", name="system_metrics")


class HealthBenchUser(HttpUser):
    wait_time = constant(0)

    @task(1)
    def bars(self):
        self.client.get(BARS, name="data_collection")

    @task(1)
    def health(self):
        self.client.get("/health", name="health_check")
