"""Reads lines "one|many req_per_s p50_ms p99_ms errors", a pair of runs
after another; prints the medians of each kind's figures with its errors
summed, the many-projects share of the medians, and each pair's share:
"o_rps o_p50 o_p99 o_errors m_rps m_p50 m_p99 m_errors share pairs"."""
import statistics
import sys

runs = {"one": [], "many": []}
for line in sys.stdin:
    kind, *figures = line.split()
    runs[kind].append([float(x) for x in figures])


def summary(kind):
    medians = [statistics.median(r[i] for r in runs[kind]) for i in range(3)]
    return medians, sum(int(r[3]) for r in runs[kind])


(o_rps, o_p50, o_p99), o_bad = summary("one")
(m_rps, m_p50, m_p99), m_bad = summary("many")
pairs = "/".join(f"{m[0] / o[0]:.0%}" for o, m in zip(runs["one"], runs["many"]))
print(f"{o_rps:.0f} {o_p50:.2f} {o_p99:.2f} {o_bad} {m_rps:.0f} {m_p50:.2f} {m_p99:.2f} {m_bad} "
      f"{m_rps / o_rps:.0%} {pairs}")
