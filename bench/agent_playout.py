#!/usr/bin/env python3
"""Playout cost of loa-agent, next to Debian's snapclient on the same machine in the same run.

1. A real loa-scheduler and one real loa-agent (clocked file sink) on 127.0.0.1: a 60 s clip
   (pink noise under a tone, ingested by the scheduler: 48 kHz mono Opus) is scheduled a few
   seconds ahead; while it plays, the agent's CPU time (sum of /proc/PID/task/*/schedstat, ns)
   and VmRSS (/proc/PID/status) are sampled every second for 30 s.
2. snapserver (pipe source, 48000:16:2, codec opus, chunk_ms 20, every socket on 127.0.0.1 on a
   free port) fed the same clip as real-time-paced PCM, and snapclient (--player file, null
   output) playing it; snapclient is sampled the same way.
It prints the median CPU % of one core and the median and peak RSS of each, and the ratios.

With --smaps it also prints where the agent's RSS goes while playing (/proc/PID/smaps summed per
mapping: shared libraries, heap, thread stacks, anonymous mappings), largest first.

usage: bench/agent_playout.py [--smaps] [SECONDS]   (default 30; LOA_BIN_DIR=build dir, default
       ./build)"""

import os
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(here)
sys.path.insert(0, os.path.join(top, "tests", "e2e"))
os.environ.setdefault("LOA_BIN_DIR", os.path.join(top, "build"))
from loa_e2e import Agent, Scheduler, free_port, iso_utc, wait_for  # noqa: E402

SMAPS = "--smaps" in sys.argv[1:]
ARGS = [a for a in sys.argv[1:] if a != "--smaps"]
SECONDS = int(ARGS[0]) if ARGS else 30
CLIP_S = SECONDS + 30  # the clip outlasts the sampling on both sides
RATE = 48000


def cpu_ns(pid):
    """CPU time of every thread of `pid` so far, in ns (schedstat: first field)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just ended
    return total


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def sample(pid, seconds, label):
    """Per-second CPU % of one core and RSS (kB) of `pid` over `seconds`."""
    cpu, rss, anon = [], [], []
    last_cpu, last_t = cpu_ns(pid), time.monotonic()
    deadline = last_t + seconds
    while True:
        time.sleep(max(0.0, min(1.0, deadline - time.monotonic())))
        now_cpu, now_t = cpu_ns(pid), time.monotonic()
        cpu.append(100.0 * (now_cpu - last_cpu) / 1e9 / (now_t - last_t))
        rss.append(rss_kb(pid))
        anon.append(rss_kb(pid, "RssAnon"))
        last_cpu, last_t = now_cpu, now_t
        if now_t >= deadline:
            break
    print(f"  {label}: {len(cpu)} samples", flush=True)
    return cpu, rss, anon


def smaps_breakdown(pid, top=30):
    """Prints RSS per mapping of `pid` (kB), summed by file (or [heap], [stack], [anon])."""
    rows = {}
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if not head[0].endswith(":") or "-" in head[0]:
                # a mapping line: range perms offset dev inode [path]
                path = head[5] if len(head) > 5 else "[anon]"
                name = os.path.basename(path) if path.startswith("/") else path
                rows.setdefault(name, {"Rss": 0, "Private_Dirty": 0, "Private_Clean": 0,
                                       "Shared_Clean": 0, "Anonymous": 0, "maps": 0})
                rows[name]["maps"] += 1
            elif head[0][:-1] in rows.get(name, {}):
                rows[name][head[0][:-1]] += int(head[1])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        print("  smaps_rollup: " + ", ".join(
            " ".join(l.split()[:2]) for l in f if l.split()[0] in
            ("Rss:", "Private_Dirty:", "Private_Clean:", "Shared_Clean:", "Anonymous:")))
    threads = len(os.listdir(f"/proc/{pid}/task"))
    print(f"  {threads} threads; RSS per mapping (kB), largest first:")
    print(f"  {'mapping':34} {'Rss':>6} {'PrivDirty':>9} {'PrivClean':>9} {'ShClean':>8} {'maps':>5}")
    for n, r in sorted(rows.items(), key=lambda kv: -kv[1]["Rss"])[:top]:
        print(f"  {n[:34]:34} {r['Rss']:>6} {r['Private_Dirty']:>9} {r['Private_Clean']:>9} "
              f"{r['Shared_Clean']:>8} {r['maps']:>5}")


def make_clip(path):
    """CLIP_S seconds of pink noise under a 440 Hz tone, 48 kHz mono 16-bit WAV (sox)."""
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", path, "synth",
                    str(CLIP_S), "pinknoise", "sine", "440", "remix", "1,2", "gain", "-n", "-6"],
                   check=True)


def summary(cpu, rss, anon):
    return {"cpu": statistics.median(cpu), "cpu_max": max(cpu),
            "rss": statistics.median(rss) / 1024.0, "rss_max": max(rss) / 1024.0,
            "anon": statistics.median(anon) / 1024.0}


def measure_loa(work, clip):
    scheduler = Scheduler(work)
    procs = [scheduler]
    try:
        cfg = os.path.join(work, "station.toml")
        scheduler.cli("station", "add", "30280", "--name", "Bench", "--agent-config", cfg)
        agent = Agent(work, "30280", cfg)
        procs.append(agent)
        wait_for(lambda: scheduler.get("/api/v1/stations/30280")["online"], 20, "agent online")
        out = scheduler.cli_json("asset", "add", clip)
        asset = out[0] if isinstance(out, list) else out
        at = int(time.time()) + 8
        scheduler.cli("schedule", "add", "--asset", asset["id"], "--at", iso_utc(at),
                      "--stations", "30280", "--title", "bench")
        agent.wait_log("cued", timeout=30)
        idle = sample(agent.proc.pid, 3, "loa-agent idle (before the item)")
        while time.time() < at + 2:
            time.sleep(0.1)
        playing = sample(agent.proc.pid, SECONDS, "loa-agent playing")
        if SMAPS:
            smaps_breakdown(agent.proc.pid)
        return summary(*playing), summary(*idle), tail_level(agent.sink)
    finally:
        for p in reversed(procs):
            p.kill()


def tail_level(wav):
    """RMS of the last second written to a 16-bit mono WAV (is the agent still playing?)."""
    size = os.path.getsize(wav)
    with open(wav, "rb") as f:
        f.seek(max(44, size - 2 * RATE))
        data = f.read()
    samples = struct.unpack(f"<{len(data) // 2}h", data[:len(data) // 2 * 2])
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5 / 32768.0


def feed_pipe(fifo, clip, stop):
    """Writes the clip as 48 kHz 16-bit stereo PCM into `fifo`, paced in real time (20 ms)."""
    pcm = subprocess.run(["sox", clip, "-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16",
                          "-c", "2", "-"], check=True, capture_output=True).stdout
    chunk = RATE * 4 * 20 // 1000
    with open(fifo, "wb", buffering=0) as out:
        t0 = time.monotonic()
        pos = 0
        n = 0
        while not stop.is_set():
            out.write(pcm[pos:pos + chunk])
            pos = (pos + chunk) % (len(pcm) - chunk)
            n += 1
            delay = t0 + n * 0.020 - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def measure_snapcast(work, clip):
    for tool in ("snapserver", "snapclient"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install snapserver snapclient "
                     "(scripts/install-deps installs them)")
    fifo = os.path.join(work, "snapfifo")
    os.mkfifo(fifo)
    stream_port, tcp_port, http_port = free_port(), free_port(), free_port()
    conf = os.path.join(work, "snapserver.conf")
    with open(conf, "w") as f:
        f.write(f"""[server]
datadir = {work}
[http]
enabled = true
bind_to_address = 127.0.0.1
port = {http_port}
[tcp]
enabled = true
bind_to_address = 127.0.0.1
port = {tcp_port}
[stream]
bind_to_address = 127.0.0.1
port = {stream_port}
source = pipe://{fifo}?name=x&mode=read
sampleformat = 48000:16:2
codec = opus
chunk_ms = 20
[logging]
filter = *:warning
""")
    stop = threading.Event()
    server = subprocess.Popen(["snapserver", "-c", conf], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(work, "snapserver.log"), "w"))
    feeder = threading.Thread(target=feed_pipe, args=(fifo, clip, stop), daemon=True)
    feeder.start()
    client = None
    try:
        wait_for(lambda: server.poll() is None and port_open(stream_port), 10, "snapserver")
        client = subprocess.Popen(
            ["snapclient", "-h", "127.0.0.1", "-p", str(stream_port), "--hostID", "loa-bench",
             "--player", "file:filename=null", "--logsink", "null"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)  # a benchmark warm-up: connect, sync and fill its buffer before sampling
        if client.poll() is not None:
            sys.exit("snapclient ended early")
        playing = sample(client.pid, SECONDS, "snapclient playing")
        serving = sample(server.pid, 3, "snapserver (for reference)")
        return summary(*playing), summary(*serving)
    finally:
        stop.set()
        for p in (client, server):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def port_open(port):
    import socket
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def main():
    work = tempfile.mkdtemp(prefix="loa-bench-playout-")
    try:
        clip = os.path.join(work, "clip.wav")
        make_clip(clip)
        print(f"agent playout benchmark: {SECONDS} s of sampling while playing a {CLIP_S} s clip "
              f"(48 kHz mono Opus for Loa, 48 kHz stereo Opus for Snapcast)", flush=True)
        loa, loa_idle, level = measure_loa(os.path.join(work, "loa"), clip)
        snap, snap_server = measure_snapcast(work, clip)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{'':22} {'CPU % of one core':>20} {'RSS MB (VmRSS)':>18} {'of it anon':>11}")
    print(f"{'':22} {'median':>10} {'max':>9} {'median':>9} {'max':>8} {'median':>11}")
    for name, s in (("loa-agent (playing)", loa), ("loa-agent (idle)", loa_idle),
                    ("snapclient (playing)", snap), ("snapserver", snap_server)):
        print(f"{name:22} {s['cpu']:>10.2f} {s['cpu_max']:>9.2f} {s['rss']:>9.2f} "
              f"{s['rss_max']:>8.2f} {s['anon']:>11.2f}")
    print()
    print(f"loa-agent / snapclient: CPU {loa['cpu'] / snap['cpu']:.2f}x, "
          f"RSS {loa['rss'] / snap['rss']:.2f}x")
    ok_cpu, ok_rss = loa["cpu"] < 2.0, loa["rss_max"] < 12.0
    print(f"targets: CPU < 2 % of one core: {'met' if ok_cpu else 'MISSED'}; "
          f"RSS < 12 MB: {'met' if ok_rss else 'MISSED'}")
    print(f"loa-agent output level over its last second of sampling: {level:.3f} RMS "
          f"({'playing' if level > 0.01 else 'SILENT: the measurement is not of playout'})")
    return 0 if ok_cpu and ok_rss and level > 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
