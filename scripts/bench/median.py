"""Reads lines "req_per_s p50_ms p99_ms errors", one per run; prints the
median of each figure and the errors summed."""
import statistics
import sys

runs = [[float(x) for x in line.split()] for line in sys.stdin if line.strip()]
rps, p50, p99 = (statistics.median(r[i] for r in runs) for i in range(3))
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {sum(int(r[3]) for r in runs)}")
