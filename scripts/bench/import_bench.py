"""Backfill benchmarks against a running KOI (run by scripts/bench/import.sh).

    import_bench.py import BASE CSV VALUES   time a CSV import until its history is recomputed
    import_bench.py late BASE                time a push landing before 10,000 later points
Each prints one row of the results table.
"""
import json
import sys
import time
import urllib.request


def call(method, url, body=None, ctype="application/json"):
    req = urllib.request.Request(url, body, {"content-type": ctype}, method=method)
    return json.load(urllib.request.urlopen(req, timeout=600))


def settled(base, code):
    while any(j["state"] != "done" for j in call("GET", f"{base}/v1/projects/{code}/jobs")):
        time.sleep(0.05)


def count_points(base, code):
    points, cursor = 0, ""
    while True:
        page = call("GET", f"{base}/v1/projects/{code}/index/history?limit=1000{cursor}")
        points += len(page["items"])
        if not page.get("next_cursor"):
            return points
        cursor = "&cursor=" + page["next_cursor"]


def bench_import(base, path, values):
    started = time.monotonic()
    with open(path, "rb") as f:
        report = call("POST", f"{base}/v1/projects/imp/import", f.read(), "text/csv")
    stored = time.monotonic() - started
    settled(base, "imp")
    total = time.monotonic() - started
    assert report["observations"] == values, report
    assert count_points(base, "imp") == values // 10
    print(f"| import {values:,} values ({values // 10:,} timestamps) | {stored:.1f} s stored "
          f"| {total:.1f} s with history | {values / total:,.0f} values/s |")


def bench_late(base):
    # 10,000 points in order without k0, then a k0 value before all of
    # them: every later point changes.
    for batch in range(20):
        body = [{"project": "late", "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1767225600 + batch * 500 + i)),
                 "values": {f"k{k}": (batch + i + k) % 100 for k in range(1, 10)}} for i in range(500)]
        call("POST", f"{base}/v1/data", json.dumps(body).encode())
    started = time.monotonic()
    late = {"project": "late", "ts": "2025-12-31T23:00:00Z", "values": {"k0": 1}}
    call("POST", f"{base}/v1/data", json.dumps(late).encode())
    answered = time.monotonic() - started
    settled(base, "late")
    total = time.monotonic() - started
    assert count_points(base, "late") == 10_001
    print(f"| push before 10,000 later points | {answered * 1000:.0f} ms answered | {total * 1000:.0f} ms with history | - |")


if __name__ == "__main__":
    if sys.argv[1] == "import":
        bench_import(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        bench_late(sys.argv[2])
