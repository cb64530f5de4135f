# scripts/analyze_load_test.py
import pandas as pd
import matplotlib.pyplot as plt

def analyze_load_test(results_file: str):
    """Analyze load test results"""
    df = pd.read_csv(results_file)

    # Calculate statistics
    stats = {
        "total_requests": len(df),
        "successful": len(df[df["success"] == True]),
        "failed": len(df[df["success"] == False]),
        "p50_latency": df["latency"].quantile(0.5),
        "p95_latency": df["latency"].quantile(0.95),
        "p99_latency": df["latency"].quantile(0.99),
        "max_latency": df["latency"].max(),
        "throughput": len(df) / df["duration"].max()
    }

    # Print results
    print("=== Load Test Analysis ===")
    for key, value in stats.items():
        if "latency" in key:
            print(f"{key}: {value:.2f} ms")
        elif key == "throughput":
            print(f"{key}: {value:.2f} req/sec")
        else:
            print(f"{key}: {value}")

    # Plot latency distribution
    plt.figure(figsize=(12, 6))

    plt.subplot(1, 2, 1)
    plt.hist(df["latency"], bins=50, edgecolor='black')
    plt.xlabel("Latency (ms)")
    plt.ylabel("Frequency")
    plt.title("Latency Distribution")

    plt.subplot(1, 2, 2)
    plt.plot(df["timestamp"], df["latency"])
    plt.xlabel("Time")
    plt.ylabel("Latency (ms)")
    plt.title("Latency Over Time")

    plt.tight_layout()
    plt.savefig("load_test_results.png")
    print("\nPlot saved to load_test_results.png")

if __name__ == "__main__":
    analyze_load_test("test_results.csv")
