"""Reads criterion's estimates for benches/scorer.rs; prints a markdown table
of nanoseconds per indicator (mean time per score() call / indicators)."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1]) / "score"
rows = []
for estimates in sorted(root.glob("*_intervals/*/new/estimates.json")):
    indicators = int(estimates.parent.parent.name)
    intervals = estimates.parent.parent.parent.name.split("_")[0]
    mean_ns = json.loads(estimates.read_text())["mean"]["point_estimate"]
    rows.append((indicators, int(intervals), mean_ns))
if not rows:
    sys.exit(f"no criterion results under {root}")
print("| indicators | intervals each | ns per score() | ns per indicator |")
print("|---|---|---|---|")
for indicators, intervals, mean_ns in sorted(rows):
    print(f"| {indicators} | {intervals} | {mean_ns:.0f} | {mean_ns / indicators:.1f} |")
