#!/usr/bin/env python3
"""Pushes to KOI while its PostgreSQL goes down and comes back.

Usage: db_down.py BASE_URL PG_START_CMD PG_STOP_CMD  (commands as shell strings)

Writers push increasing values for their own indicator and record every
answer. PostgreSQL is stopped (immediate: a crash) mid-run, left down, and
started again. Checked:
  * while it is down no push is acknowledged (2xx); each refusal is a 503
    with Retry-After and application/problem+json, answered in time;
  * no 500 at any time (an outage is not a bug);
  * KOI recovers by itself: a push is 200 and /ready is 200 within
    RECOVERY_SECS of PostgreSQL accepting connections again;
  * every acknowledged value is in the indicator's history (no false 2xx).
Prints one line per finding and exits non-zero on any failure.
"""
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

WRITERS = 4
BEFORE_SECS, DOWN_SECS, AFTER_SECS = 2.0, 8.0, 4.0
RECOVERY_SECS = 5.0
# A push waits for the pool to give up connecting ([database]
# connect_timeout_secs, 3 s) before its 503, at worst twice: behind the
# group-commit batch in progress, then in its own. More than this is a hang.
MAX_ANSWER_SECS = 7.5
PROJECT = "outage"

base, start_cmd, stop_cmd = sys.argv[1:4]


def call(method, path, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except OSError as e:  # no answer at all: recorded as status 0
        return 0, {}, str(e).encode()


records = []  # (writer, value, sent, answered, status, headers)
lock = threading.Lock()
stop_pushing = threading.Event()


def writer(n):
    value = 0
    while not stop_pushing.is_set():
        value += 1
        sent = time.monotonic()
        status, headers, _ = call("POST", "/v1/data", {"project": PROJECT, "values": {f"k{n}": value}})
        with lock:
            records.append((n, value, sent, time.monotonic(), status, headers))
        if status != 200:
            time.sleep(0.05)


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)


failures = []


def fail(msg):
    failures.append(msg)
    print("  FAIL " + msg)


indicators = [{"key": f"k{n}", "weight": 100 / WRITERS} for n in range(WRITERS)]
status, _, body = call("POST", "/v1/projects", {"code": PROJECT, "indicators": indicators})
if status != 201:
    sys.exit(f"cannot create the project: {status} {body[:200]!r}")

threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
for t in threads:
    t.start()
time.sleep(BEFORE_SECS)
sh(stop_cmd)
down_at = time.monotonic()
time.sleep(DOWN_SECS)
ready_down = call("GET", "/ready")[0]
up_begin = time.monotonic()
sh(start_cmd)
up_at = time.monotonic()
first_ok = ready_ok = None
while time.monotonic() - up_at < RECOVERY_SECS + 10 and not (first_ok and ready_ok):
    if ready_ok is None and call("GET", "/ready", timeout=5)[0] == 200:
        ready_ok = time.monotonic() - up_at
    with lock:
        oks = [r[3] for r in records if r[2] > up_at and r[4] == 200]
    if first_ok is None and oks:
        first_ok = min(oks) - up_at
    time.sleep(0.05)
time.sleep(AFTER_SECS)
stop_pushing.set()
for t in threads:
    t.join()

during = [r for r in records if r[2] > down_at and r[3] < up_begin]
acked = [r for r in records if 200 <= r[4] < 300]
print(f"  {len(records)} pushes, {len(acked)} acknowledged; {len(during)} sent while PostgreSQL was down")
if ready_down != 503:
    fail(f"/ready answered {ready_down} while the database was down, not 503")
if not during:
    fail("no push was answered while the database was down")
false_ok = [r for r in during if 200 <= r[4] < 300]
if false_ok:
    fail(f"{len(false_ok)} pushes acknowledged while the database was down")
for r in during:
    if r[4] == 503:
        lower = {k.lower(): v for k, v in r[5].items()}
        if "retry-after" not in lower or "application/problem+json" not in lower.get("content-type", ""):
            fail(f"a 503 without Retry-After or problem+json: {r[5]}")
            break
others = sorted({r[4] for r in during if r[4] not in (503,) and not 200 <= r[4] < 300})
if others:
    fail(f"while down, pushes got {others}, not 503")
slow = max((r[3] - r[2] for r in during), default=0)
print(f"  slowest answer while down: {slow:.2f} s")
if slow > MAX_ANSWER_SECS:
    fail(f"a push waited {slow:.1f} s for its answer while the database was down (limit {MAX_ANSWER_SECS} s)")
errors = sorted({r[4] for r in records if r[4] >= 500 and r[4] != 503 or r[4] == 0})
if errors:
    fail(f"answers {errors} during the run (500 = an outage taken for a bug, 0 = no answer)")
print(f"  recovery after PostgreSQL restart: push 200 after {first_ok} s, /ready 200 after {ready_ok} s")
if first_ok is None or first_ok > RECOVERY_SECS:
    fail(f"pushes did not succeed again within {RECOVERY_SECS} s of the restart")
if ready_ok is None or ready_ok > RECOVERY_SECS:
    fail(f"/ready did not answer 200 within {RECOVERY_SECS} s of the restart")
recovered_at = up_at + max(first_ok or RECOVERY_SECS, ready_ok or RECOVERY_SECS)
tail = [r for r in records if r[2] > recovered_at]
if not tail or any(r[4] != 200 for r in tail):
    fail(f"after recovery not every push succeeded: {sorted({r[4] for r in tail})}")

# No false 2xx: every acknowledged value is stored.
for n in range(WRITERS):
    stored, cursor = set(), None
    while True:
        path = f"/v1/projects/{PROJECT}/indicators/k{n}/history?limit=1000"
        if cursor:
            path += "&cursor=" + urllib.request.quote(cursor)
        status, _, body = call("GET", path)
        if status != 200:
            sys.exit(f"history answered {status}: {body[:200]!r}")
        page = json.loads(body)
        stored.update(item["value"] for item in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    lost = [r[1] for r in acked if r[0] == n and float(r[1]) not in stored]
    if lost:
        fail(f"k{n}: {len(lost)} acknowledged values missing from the history, e.g. {lost[:5]}")
print(f"  acknowledged values checked against the history: {len(acked)}")
sys.exit(1 if failures else 0)
