#!/usr/bin/env python3
"""Telemetry ingestion of loa-scheduler from 10,000 agents, next to a raw ZeroMQ CURVE peer.

1. `bench_telemetry prepare` registers 10,000 stations with CURVE keys in a fresh scheduler
   store (one transaction); the first admin is made with `loa-scheduler --create-admin`.
2. The real loa-scheduler starts on it (127.0.0.1, log level info).
3. 5 child processes x 2,000 simulated agents (`bench_telemetry agents`: one CurveZMQ DEALER
   each, loa's agent socket options, Hello / Welcome / TimelineAck as the real agent, then a
   Heartbeat with full telemetry every 10 s, the fleet's beats spread evenly over the interval)
   connect gradually (125 a second in all: a CURVE handshake costs the server ~2 ms, and
   the scheduler's one ZeroMQ I/O thread also serves the links already up).
4. Once every agent is welcomed and a whole interval has passed, the scheduler's CPU
   (utime + stime, /proc/PID/stat) is sampled over WINDOWS windows of 10 s: % of one core per
   window, the median, VmRSS. Then GET /api/v1/status must count 10,000 stations online.
5. The same for the peer: `bench_telemetry raw-server` (a ROUTER with loa's scheduler socket
   options and a ZAP allow-list, receiving only) with the same clients sending the same bytes;
   with --bare also a peer and clients with nothing but CURVE (as ANCHORS.md measured it).

usage: telemetry_bench.py [--bare] [--agents N] [--windows W]   (LOA_BIN_DIR = build dir)"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(top, "tests", "e2e"))
os.environ.setdefault("LOA_BIN_DIR", os.path.join(top, "build"))
from loa_e2e import binary, free_port, wait_for  # noqa: E402

INTERVAL_S = 10
PROCESSES = 5
CONNECT_RATE = 125.0  # handshakes a second, all processes together (one costs ~2 ms)
PEER_FIGURE = "raw ZeroMQ 4.3.4 + CURVE, 10,000 links x 100 B every 10 s: 17 % of one core, 403 MB"
TICKS = os.sysconf("SC_CLK_TCK")


def bench_binary():
    path = os.path.join(os.environ["LOA_BIN_DIR"], "bench", "bench_telemetry")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: ninja bench_telemetry")
    return path


class Child:
    """A child process whose stdout lines are read on a thread; `last` is the newest
    "status k=v ..." line as a dict."""

    def __init__(self, args, log_path):
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.first = None
        self.last = {}
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self.proc.stdout:
            if self.first is None:
                self.first = line.strip()
            if line.startswith("status "):
                self.last = dict(kv.split("=", 1) for kv in line.split()[1:])

    def stat(self, key):
        return int(self.last.get(key, 0))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._thread.join(timeout=5)
        self.log.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def start_agents(work, keys, endpoint, server_key, count, extra, tag):
    per = (count + PROCESSES - 1) // PROCESSES
    t0_ms = int(time.time() * 1000) + 2000
    children = []
    for p in range(PROCESSES):
        first, n = p * per, min(per, count - p * per)
        if n <= 0:
            break
        children.append(Child([bench_binary(), "agents", keys, str(first), str(n), str(count),
                               endpoint, server_key, str(CONNECT_RATE / PROCESSES),
                               str(INTERVAL_S), str(t0_ms), *extra],
                              os.path.join(work, f"agents-{tag}-{p}.log")))
    return children


def total(children, key):
    return sum(c.stat(key) for c in children)


def measure(pid, children, windows, label):
    """CPU % of one core of `pid` per INTERVAL_S window, with the heartbeats sent meanwhile."""
    rows = []
    for w in range(windows):
        c0, t0, h0 = cpu_seconds(pid), time.monotonic(), total(children, "heartbeats")
        time.sleep(INTERVAL_S)  # the measurement window itself, not a synchronisation
        c1, t1, h1 = cpu_seconds(pid), time.monotonic(), total(children, "heartbeats")
        pct = 100.0 * (c1 - c0) / (t1 - t0)
        rows.append((pct, rss_mb(pid), h1 - h0))
        print(f"  {label} window {w + 1}: {pct:5.1f} % of one core, RSS {rows[-1][1]:6.1f} MB, "
              f"{h1 - h0} heartbeats sent", flush=True)
    return rows


def wait_connected(children, count, key, what, timeout):
    shown = [0]

    def progress():
        n = total(children, key)
        if time.monotonic() - shown[0] >= 10:
            shown[0] = time.monotonic()
            print(f"    {what}: {n}/{count}", flush=True)
        return n >= count
    started = time.monotonic()
    try:
        wait_for(progress, timeout, f"{count} agents {what}")
    except TimeoutError:
        # Measured anyway: the figures then say how the server copes with what did connect.
        print(f"    only {total(children, key)}/{count} {what} after {timeout:.0f} s; "
              "measuring anyway", flush=True)
        return
    print(f"    {what}: {count}/{count} in {time.monotonic() - started:.0f} s", flush=True)


def run_scheduler(work, count, windows):
    state = os.path.join(work, "scheduler")
    keys = os.path.join(work, "keys.txt")
    t = time.monotonic()
    out = subprocess.run([bench_binary(), "prepare", state, str(count), keys], check=True,
                         capture_output=True, text=True).stdout
    server_key = out.split("server_public_key")[1].split()[0]
    password = os.path.join(work, "admin.password")
    fd = os.open(password, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("bench-admin-password\n")
    subprocess.run([binary("loa-scheduler"), "--state-dir", state, "--create-admin", "admin",
                    "--password-file", password], check=True, capture_output=True)
    print(f"  store: {count} stations with CURVE keys in {time.monotonic() - t:.1f} s",
          flush=True)
    api_port, link_port = free_port(), free_port()
    ready = os.path.join(work, "scheduler.ready.json")
    endpoint = f"tcp://127.0.0.1:{link_port}"
    sched = Child([binary("loa-scheduler"), "--state-dir", state, "--api-listen",
                   f"127.0.0.1:{api_port}", "--link-listen", endpoint, "--link-public-endpoint",
                   endpoint, "--ready-file", ready, "--log-level", "info"],
                  os.path.join(work, "scheduler.log"))
    children = []
    try:
        wait_for(lambda: os.path.exists(ready), 60, "the scheduler's ready file")
        children = start_agents(work, keys, endpoint, server_key, count, [], "loa")
        wait_connected(children, count, "welcomed", "welcomed", count / CONNECT_RATE * 1.5 + 30)
        time.sleep(INTERVAL_S)  # one whole interval of heartbeats before measuring
        rows = measure(sched.proc.pid, children, windows, "loa-scheduler")
        online = status_online(api_port)
        refusals = total(children, "refusals")
        size = total(children, "heartbeat_bytes") / max(1, total(children, "heartbeats"))
        return rows, online, refusals, size, server_key
    finally:
        for c in children:
            c.stop()
        sched.stop()


def status_online(api_port):
    url = f"http://127.0.0.1:{api_port}"
    body = json.dumps({"user": "admin", "password": "bench-admin-password"}).encode()
    req = urllib.request.Request(url + "/api/v1/login", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        token = json.loads(r.read())["token"]
    req = urllib.request.Request(url + "/api/v1/status",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())["totals"]


def run_raw(work, count, windows, bare):
    keys = os.path.join(work, "keys.txt")
    tag = "bare" if bare else "raw"
    extra = ["--bare"] if bare else []
    server = Child([bench_binary(), "raw-server", keys, *extra],
                   os.path.join(work, f"raw-server-{tag}.log"))
    children = []
    try:
        wait_for(lambda: server.first, 30, "the raw server's endpoint")
        words = server.first.split()
        endpoint, server_key = words[1], words[3]
        children = start_agents(work, keys, endpoint, server_key, count, ["--raw", *extra], tag)
        wait_connected([server], count, "peers", "peers heard", count / CONNECT_RATE * 1.5 + 30)
        time.sleep(INTERVAL_S)  # one whole interval of heartbeats before measuring
        label = "raw peer (bare CURVE)" if bare else "raw peer (loa socket options)"
        rows = measure(server.proc.pid, children, windows, label)
        return rows, server.stat("peers")
    finally:
        for c in children:
            c.stop()
        server.stop()


def summary(label, rows):
    cpu = statistics.median(r[0] for r in rows)
    rss = statistics.median(r[1] for r in rows)
    beats = statistics.median(r[2] for r in rows)
    print(f"  {label:34} median {cpu:5.1f} % of one core (windows "
          f"{', '.join(f'{r[0]:.1f}' for r in rows)}), RSS {rss:.0f} MB, "
          f"{beats:.0f} heartbeats per window")
    return cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=10000)
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument("--bare", action="store_true",
                        help="also run the bare CURVE peer (no ZMTP heartbeats)")
    parser.add_argument("--skip-raw", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="loa-bench-telemetry-")
    print(f"telemetry benchmark: {args.agents} agents, a heartbeat each every {INTERVAL_S} s, "
          f"{PROCESSES} client processes, {args.windows} windows of {INTERVAL_S} s "
          f"(work: {work})", flush=True)
    ok = False
    try:
        print("loa-scheduler:", flush=True)
        rows, online, refusals, size, _ = run_scheduler(work, args.agents, args.windows)
        raw = bare = None
        if not args.skip_raw:
            print("raw ZeroMQ peer, loa's socket options (agents ping every 5 s):",
                  flush=True)
            raw, _ = run_raw(work, args.agents, args.windows, False)
            if args.bare:
                print("raw ZeroMQ peer, bare CURVE:", flush=True)
                bare, _ = run_raw(work, args.agents, args.windows, True)
        print("\nresults (medians of the windows):")
        cpu = summary("loa-scheduler", rows)
        if raw:
            summary("raw peer, loa socket options", raw)
        if bare:
            summary("raw peer, bare CURVE", bare)
        print(f"  heartbeat envelope: {size:.0f} bytes; scheduler status: {online}; "
              f"refusals seen by agents: {refusals}")
        print(f"  peer figure (ANCHORS.md): {PEER_FIGURE}")
        verdict = "PASS" if cpu < 25.0 and online.get("online") == args.agents else "FAIL"
        print(f"  requirement: under 25 % of one core with all {args.agents} online: {verdict}")
        ok = verdict == "PASS"
    finally:
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
