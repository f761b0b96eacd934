#!/usr/bin/env python3
"""The cluster run: load, kills, a rolling restart, and the checks.

Usage: load.py  (everything from the environment, set by scripts/cluster.sh)
  NGINX, SERVER_A, SERVER_B   base URLs (A is never killed)
  SOURCES_PORT                where this script serves the 200 sources
  PG_URL                      psql URL of the cluster's database
  PROMETHEUS                  base URL of the Prometheus scraping A and B
  KILL_CMD, RESTART_CMD       shell: kill -9 server B and worker 1; start them
  ROLL_CMD                    shell: the README's rolling upgrade, one server at a time
  SECONDS_TOTAL (60), LEASE_SECS (5)
  PUSH_RATE (75)              pushes a second per pusher (8 pushers)

Pushers send increasing values, through nginx and straight to server A, and
record every answer. The sources count each pull. Midway server B and one
worker are killed with -9 and restarted; later the servers are rolled one
at a time. Checked, each printed as PASS or FAIL with its figures:
  * every acknowledged push is stored, and its answer already holds it;
  * the newest point holds each pusher's last acknowledged value;
  * server A answered every push (it is never killed);
  * each source is pulled once per tick: never more pulls than ticks, and
    at least 90 % of them, except within one lease after the worker kill;
  * Prometheus scraping either server has koi_index_value equal to the
    API's newest value for every project.
"""
import http.server
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

NGINX = os.environ["NGINX"]
SERVER_A = os.environ["SERVER_A"]
SOURCES_PORT = int(os.environ["SOURCES_PORT"])
PG_URL = os.environ["PG_URL"]
PROMETHEUS = os.environ["PROMETHEUS"]
TOTAL = float(os.environ.get("SECONDS_TOTAL", "60"))
LEASE = float(os.environ.get("LEASE_SECS", "5"))
SOURCES = 200
PUSHERS_NGINX, PUSHERS_A = 6, 2
# Paced, not as fast as answered: unpaced, the pushers alone take the 2
# cores of the machine the cluster shares, and the workers' ticks measure
# the machine rather than KOI.
PUSH_RATE = float(os.environ.get("PUSH_RATE", "75"))
KILL_AT, RESTART_AT, ROLL_AT = TOTAL * 0.35, TOTAL * 0.45, TOTAL * 0.7

failures = []


def report(ok, what):
    print(("  PASS " if ok else "  FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def call(base, method, path, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError as e:
        return 0, str(e)


# --- the sources: each answers a counter and records when it was pulled ----
# In a process of their own: sharing the pushers' interpreter lock would
# make the sources, not KOI, what delays the pulls.
def serve_sources(port, conn):
    pulls = {n: [] for n in range(SOURCES)}
    lock = threading.Lock()

    class Sources(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            n = int(self.path.rsplit("/", 1)[-1])
            with lock:
                pulls[n].append(time.monotonic())
                count = len(pulls[n])
            body = json.dumps({"value": count}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle(self):
            # A worker killed with -9 leaves its pulls half-read.
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        # The default backlog of 5 overflowed when the workers' pulls came
        # in a burst; a dropped connection is retried by the kernel a second
        # later, which made pulls look late, and doubled when caught up.
        request_queue_size = 1024

    server = Server(("127.0.0.1", port), Sources)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send("up")
    conn.recv()  # stop
    server.shutdown()
    with lock:
        conn.send(pulls)


sources_conn, child_conn = multiprocessing.Pipe()
sources = multiprocessing.Process(target=serve_sources, args=(SOURCES_PORT, child_conn), daemon=True)
sources.start()
assert sources_conn.recv() == "up"

# --- set-up through nginx -----------------------------------------------------
pusher_keys = [f"w{n}" for n in range(PUSHERS_NGINX + PUSHERS_A)]
push_project = {"code": "cl-push", "indicators": [{"key": k, "weight": 100 / len(pusher_keys)} for k in pusher_keys]}
pull_project = {"code": "cl-pull", "indicators": [{"key": f"s{n}", "weight": 100 / SOURCES} for n in range(SOURCES)]}
for project in (push_project, pull_project):
    status, body = call(NGINX, "POST", "/v1/projects", project)
    assert status == 201, (status, body)
for n in range(SOURCES):
    source = {
        "project": "cl-pull", "name": f"s{n}", "url": f"http://127.0.0.1:{SOURCES_PORT}/s/{n}",
        "schedule": "* * * * * *", "mappings": [{"indicator": f"s{n}", "path": "$.value"}],
    }
    status, body = call(NGINX, "POST", "/v1/remote", source)
    assert status == 201, (status, body)

# --- load ---------------------------------------------------------------------
acked = {k: [] for k in pusher_keys}  # key -> [(value, result point)]
refused = {k: 0 for k in pusher_keys}
refusals = []  # (key, when, status)
stop, stop_direct = threading.Event(), threading.Event()


def pusher(key, base, until):
    value, began = 0, time.monotonic()
    while not until.is_set():
        time.sleep(max(0.0, began + value / PUSH_RATE - time.monotonic()))
        value += 1
        status, body = call(base, "POST", "/v1/data", {"project": "cl-push", "values": {key: value}})
        if status == 200:
            acked[key].append((value, body))
        else:
            refused[key] += 1
            refusals.append((key, time.monotonic(), status))
            time.sleep(0.05)


threads = [threading.Thread(target=pusher, args=(k, NGINX, stop)) for k in pusher_keys[:PUSHERS_NGINX]]
threads += [threading.Thread(target=pusher, args=(k, SERVER_A, stop_direct)) for k in pusher_keys[PUSHERS_NGINX:]]
started = time.monotonic()
for t in threads:
    t.start()
events = [(KILL_AT, "KILL_CMD"), (RESTART_AT, "RESTART_CMD"), (ROLL_AT, "ROLL_CMD")]
killed_at = None
for at, cmd in events:
    time.sleep(max(0.0, started + at - time.monotonic()))
    if cmd == "KILL_CMD":
        killed_at = time.monotonic()
    if cmd == "ROLL_CMD":
        # Server A restarts too: its own pushers stop first.
        stop_direct.set()
        roll_started = time.monotonic()
    print(f"  t={time.monotonic() - started:5.1f}s {cmd}", flush=True)
    subprocess.run(["bash", "-c", os.environ[cmd]], check=True)
    if cmd == "ROLL_CMD":
        rolled = (roll_started, time.monotonic())
time.sleep(max(0.0, started + TOTAL - time.monotonic()))
stop.set()
stop_direct.set()
for t in threads:
    t.join()
ended = time.monotonic()
# With the sources gone no value changes: the index gauges (cached 2 s)
# and Prometheus (scraping every second) settle.
sources_conn.send("stop")
pulls = sources_conn.recv()  # CLOCK_MONOTONIC: one clock for both processes
time.sleep(6)

# --- checks -------------------------------------------------------------------
total_acked = sum(len(v) for v in acked.values())
rate = total_acked / TOTAL
print(f"  {total_acked} pushes acknowledged ({rate:.0f}/s), {sum(refused.values())} refused", flush=True)


def psql(sql):
    out = subprocess.run(["psql", PG_URL, "-Atc", sql], check=True, capture_output=True, text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


stored = {}
for (readings,) in psql(
    "SELECT o.readings FROM observation_sets o JOIN projects p ON p.id = o.project_id WHERE p.code = 'cl-push'"
):
    for indicator, value in json.loads(readings).items():
        stored.setdefault(indicator, set()).add(float(value))
missing = [(k, v) for k, values in acked.items() for v, _ in values if float(v) not in stored.get(k, set())]
report(not missing, f"every acknowledged push stored ({total_acked} acknowledged, missing {missing[:5]})")
unheld = [
    (k, v) for k, values in acked.items() for v, point in values
    if not any(c["key"] == k and c["value"] == v for c in point["breakdown"])
]
report(not unheld, f"each push's answer holds its value (exceptions {unheld[:5]})")

status, latest = call(SERVER_A, "GET", "/v1/projects/cl-push/index")
lasts = {k: values[-1][0] for k, values in acked.items() if values}
held = {c["key"]: c["value"] for c in latest["breakdown"]} if status == 200 else {}
stale = {k: (v, held.get(k)) for k, v in lasts.items() if held.get(k) != v}
report(not stale, f"the newest point holds every pusher's last acknowledged value (differing {stale})")

direct = pusher_keys[PUSHERS_NGINX:]
report(all(refused[k] == 0 for k in direct),
       f"server A answered every push through the kill ({sum(len(acked[k]) for k in direct)} pushes, refused {[refused[k] for k in direct]})")
during_roll = [r for r in refusals if rolled[0] <= r[1] <= rolled[1] + 1]
report(not during_roll, f"no push through nginx refused during the rolling upgrade ({rolled[1] - rolled[0]:.1f} s; refused {during_roll[:5]})")
killed_window = [r for r in refusals if r[0] in pusher_keys[:PUSHERS_NGINX] and killed_at <= r[1] <= killed_at + 2]
print(f"  through nginx: {len(killed_window)} refused within 2 s of the kill, {len(refusals)} refused in all", flush=True)

window_from, window_to = started + 5, ended - 1
kill_window = (killed_at, killed_at + LEASE + 2)
# A pull comes a little after its tick, so two pulls of consecutive ticks
# may lie close together: what once per tick rules out is more pulls than
# ticks. Each of the two stretches outside the kill window may hold one tick
# more than its length.
ticks = (window_to - window_from) - (kill_window[1] - kill_window[0])
counts = {
    n: sum(1 for t in times if window_from <= t <= window_to and not kill_window[0] <= t <= kill_window[1])
    for n, times in pulls.items()
}
extra = [(n, c) for n, c in counts.items() if c > ticks + 2]
short = [(n, c) for n, c in counts.items() if c < ticks * 0.9]
spread = f"{min(counts.values())}..{max(counts.values())} pulls per source in {ticks:.1f} ticks"
report(not extra, f"no source pulled more than once a tick outside the kill window ({spread}; over {extra[:5]})")
if extra:
    n = extra[0][0]
    print(f"  source {n} pulled at (s after start; kill window {kill_window[0] - started:.1f}..{kill_window[1] - started:.1f}):",
          " ".join(f"{t - started:.2f}" for t in pulls[n] if window_from <= t <= window_to), flush=True)
report(not short, f"each source pulled about once a second ({spread}; short {short[:5]})")
per_second = {}
for times in pulls.values():
    for t in times:
        per_second[int(t - started)] = per_second.get(int(t - started), 0) + 1
thin = {t: c for t, c in sorted(per_second.items()) if c < SOURCES * 0.9 and 5 <= t < ended - started - 1}
print(f"  seconds with under 90 % of the sources pulled (t: pulls): {thin}", flush=True)
per_source = sum(len(t) for t in pulls.values()) / SOURCES
print(f"  {per_source:.1f} pulls per source in {ended - started:.0f} s", flush=True)


def prometheus_values(project):
    query = urllib.parse.urlencode({"query": f'koi_index_value{{project="{project}"}}'})
    status, body = call(PROMETHEUS, "GET", f"/api/v1/query?{query}")
    if status != 200:
        return {}
    return {r["metric"]["instance"]: float(r["value"][1]) for r in body["data"]["result"]}


for project in ("cl-push", "cl-pull"):
    _, api = call(SERVER_A, "GET", f"/v1/projects/{project}/index")
    scraped = prometheus_values(project)
    same = len(scraped) == 2 and all(abs(v - api["value"]) < 1e-9 for v in scraped.values())
    report(same, f"Prometheus koi_index_value{{project={project}}} from each server {scraped} vs API {api['value']}")

print(f"{len(failures)} check(s) failed" if failures else "all checks passed", flush=True)
sys.exit(1 if failures else 0)
