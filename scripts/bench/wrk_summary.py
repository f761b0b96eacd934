"""Reads wrk --latency output; prints "req_per_s p50_ms p99_ms completed errors"."""
import re
import sys


def ms(value):
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
completed = int(re.search(r"(\d+) requests in", text).group(1))
non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
errors = (int(non_2xx.group(1)) if non_2xx else 0) + socket_errors
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {completed} {errors}")
